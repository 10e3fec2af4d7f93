/**
 * Network reachability is not authentication: any pod in the VPC could otherwise read the cache. Clients
 * authenticate with an AUTH token (or RBAC user groups). The token is a secret and usually generated, so
 * it is often unknown during preview: its presence is what counts, its length is checked when known.
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "../../lib/define";
import { isSet, tryKnown } from "../../lib/known";
import { awsFoundationalControl } from "../frameworks";
import { describeReplicationGroup } from "./replication-group";
import { configSchema } from "../../lib/config";

// ElastiCache rejects AUTH tokens outside 16-128 printable characters.
const minimumTokenLength = 16;

export const elasticacheReplicationGroupAuthToken = resourcePolicy({
  name: "aws-elasticache-replication-group-auth-token",
  description: "ElastiCache replication groups require authentication (AUTH token or RBAC user groups).",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_31"], awsSecurityHub: ["ElastiCache.6"] },
  framework: awsFoundationalControl(
    "elasticache",
    "ElastiCache.6 replication groups should have AUTH enabled",
  ),
  tags: ["aws", "security", "lgpd"],
  remediationSteps:
    "Set authToken from a generated secret (e.g. random.RandomPassword, 32+ characters) together with " +
    "transitEncryptionEnabled: true, or attach userGroupIds for Redis RBAC.",
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateResource: validateResourceOfType(
    aws.elasticache.ReplicationGroup,
    (group, args, reportViolation) => {
      const where = describeReplicationGroup(group, args);
      // A computed list of user groups counts as RBAC; a known empty one does not.
      const userGroups = tryKnown(() => group.userGroupIds);
      const usesRbac =
        isSet(group, "userGroupIds") && (!userGroups.known || (userGroups.value ?? []).length > 0);
      if (usesRbac || isSet(group, "authTokenWo")) {
        return;
      }
      if (!isSet(group, "authToken")) {
        reportViolation(`Set authToken (a generated secret) or userGroupIds on ${where}.`);
        return;
      }
      const token = tryKnown(() => group.authToken);
      if (token.known && typeof token.value === "string" && token.value.length < minimumTokenLength) {
        reportViolation(`Use an authToken of at least ${minimumTokenLength} characters on ${where}.`);
      }
    },
  ),
});

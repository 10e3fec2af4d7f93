/**
 * Redis holds sessions and queued jobs that carry patient data; it is encrypted on disk (snapshots, swap)
 * and on the wire between the cluster and the nodes.
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "../../lib/define";
import { awsFoundationalControl } from "../frameworks";
import { describeReplicationGroup } from "./replication-group";
import { configSchema } from "../../lib/config";

export const elasticacheReplicationGroupEncryption = resourcePolicy({
  name: "aws-elasticache-replication-group-encryption",
  description: "ElastiCache replication groups encrypt data at rest and in transit.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_29", "CKV_AWS_30"], awsSecurityHub: ["ElastiCache.4", "ElastiCache.5"] },
  framework: awsFoundationalControl(
    "elasticache",
    "ElastiCache.4, ElastiCache.5 ElastiCache replication groups should be encrypted at rest and in transit",
  ),
  tags: ["aws", "security", "lgpd"],
  remediationSteps:
    "Set atRestEncryptionEnabled: true and transitEncryptionEnabled: true (clients then connect with TLS, " +
    "rediss://). Changing either on an existing group replaces it.",
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateResource: validateResourceOfType(
    aws.elasticache.ReplicationGroup,
    (group, args, reportViolation) => {
      const where = describeReplicationGroup(group, args);
      if (group.atRestEncryptionEnabled !== true) {
        reportViolation(`Set atRestEncryptionEnabled: true on ${where}.`);
      }
      if (group.transitEncryptionEnabled !== true) {
        reportViolation(`Set transitEncryptionEnabled: true on ${where}.`);
      }
    },
  ),
});

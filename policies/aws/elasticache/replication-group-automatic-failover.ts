/** Without automatic failover, losing the primary node stops every session and queue until a human acts. */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { configSchema, readConfig } from "../../lib/config";
import { resourcePolicy } from "../../lib/define";
import { awsFoundationalControl } from "../frameworks";
import { describeReplicationGroup } from "./replication-group";

const defaults = { requireMultiAz: true };

export const elasticacheReplicationGroupAutomaticFailover = resourcePolicy({
  name: "aws-elasticache-replication-group-automatic-failover",
  description:
    "ElastiCache replication groups have a replica and automatic failover (and Multi-AZ where configured).",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: { awsSecurityHub: ["ElastiCache.3"] },
  framework: awsFoundationalControl(
    "elasticache",
    "ElastiCache.3 replication groups should have automatic failover enabled",
  ),
  tags: ["aws", "reliability"],
  remediationSteps: "Set automaticFailoverEnabled: true, numCacheClusters >= 2 and multiAzEnabled: true.",
  configSchema: configSchema({
    requireMultiAz: {
      type: "boolean",
      description: "Also require multiAzEnabled (replica in another Availability Zone).",
      default: defaults.requireMultiAz,
    },
  }),
  validateResource: validateResourceOfType(
    aws.elasticache.ReplicationGroup,
    (group, args, reportViolation) => {
      const { requireMultiAz } = readConfig(args, defaults);
      const where = describeReplicationGroup(group, args);
      if (group.automaticFailoverEnabled !== true) {
        reportViolation(`Set automaticFailoverEnabled: true on ${where}.`);
      }
      // Cluster-mode groups size themselves with replicasPerNodeGroup instead of numCacheClusters.
      const nodes =
        group.numCacheClusters ??
        (group.replicasPerNodeGroup !== undefined ? group.replicasPerNodeGroup + 1 : 1);
      if (nodes < 2) {
        reportViolation(
          `Give ${where} at least one replica (numCacheClusters >= 2) so it has something to fail over to.`,
        );
      }
      if (requireMultiAz && group.multiAzEnabled !== true) {
        reportViolation(`Set multiAzEnabled: true on ${where}.`);
      }
    },
  ),
});

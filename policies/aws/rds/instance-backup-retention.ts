/** Automated backups give point-in-time recovery; the retention window is the stack's recovery horizon. */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { configSchema, readConfig } from "../../lib/config";
import { resourcePolicy } from "../../lib/define";
import { awsFoundationalControl } from "../frameworks";
import { describeInstance, isReadReplica } from "./instance";

const defaults = { minBackupRetentionDays: 7 };

export const rdsInstanceBackupRetention = resourcePolicy({
  name: "aws-rds-instance-backup-retention",
  description: "RDS primary instances keep automated backups for at least the configured number of days.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_133"], awsSecurityHub: ["RDS.11"] },
  framework: awsFoundationalControl("rds", "RDS.11 RDS instances should have automatic backups enabled"),
  tags: ["aws", "reliability", "backup"],
  remediationSteps:
    "Set backupRetentionPeriod to at least the configured minimum (AWS allows up to 35 days).",
  configSchema: configSchema({
    minBackupRetentionDays: {
      type: "integer",
      minimum: 1,
      maximum: 35,
      description: "Fewest days of automated backups a primary instance keeps.",
      default: defaults.minBackupRetentionDays,
    },
  }),
  validateResource: validateResourceOfType(aws.rds.Instance, (instance, args, reportViolation) => {
    if (isReadReplica(instance)) {
      return;
    }
    const { minBackupRetentionDays } = readConfig(args, defaults);
    const days = instance.backupRetentionPeriod;
    if (days === undefined || days < minBackupRetentionDays) {
      reportViolation(
        `Set backupRetentionPeriod on ${describeInstance(instance, args)} to at least ${minBackupRetentionDays} ` +
          `days (it is ${days ?? "unset"}).`,
      );
    }
  }),
});

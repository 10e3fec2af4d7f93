/** Patient data at rest is encrypted (LGPD art. 46); RDS cannot encrypt an existing instance in place. */
import * as aws from "@pulumi/aws";
import { resourcePolicy } from "../../lib/define";
import { validateResourceOfType } from "@pulumi/policy";
import { awsFoundationalControl } from "../frameworks";
import { describeInstance, isReadReplica } from "./instance";
import { configSchema } from "../../lib/config";

export const rdsInstanceStorageEncrypted = resourcePolicy({
  name: "aws-rds-instance-storage-encrypted",
  description: "RDS instances encrypt their storage.",
  severity: "critical",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_16"], awsSecurityHub: ["RDS.3"] },
  framework: awsFoundationalControl("rds", "RDS.3 RDS DB instances should have encryption at-rest enabled"),
  tags: ["aws", "security", "lgpd"],
  remediationSteps:
    "Set storageEncrypted: true (with kmsKeyId for a customer-managed key). An existing unencrypted instance " +
    "must be restored from an encrypted snapshot copy.",
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateResource: validateResourceOfType(aws.rds.Instance, (instance, args, reportViolation) => {
    // A replica's encryption follows its source unless set explicitly.
    if (
      instance.storageEncrypted === true ||
      (isReadReplica(instance) && instance.storageEncrypted !== false)
    ) {
      return;
    }
    reportViolation(`Set storageEncrypted: true on ${describeInstance(instance, args)}.`);
  }),
});

/** One mistaken `pulumi destroy` or replacement must not be able to drop the database. */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "../../lib/define";
import { awsFoundationalControl } from "../frameworks";
import { describeInstance } from "./instance";
import { configSchema } from "../../lib/config";

export const rdsInstanceDeletionProtection = resourcePolicy({
  name: "aws-rds-instance-deletion-protection",
  description: "RDS instances have deletion protection enabled.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_293"], awsSecurityHub: ["RDS.8"] },
  framework: awsFoundationalControl("rds", "RDS.8 RDS DB instances should have deletion protection enabled"),
  tags: ["aws", "reliability"],
  remediationSteps: "Set deletionProtection: true (and protect: true on the Pulumi resource).",
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateResource: validateResourceOfType(aws.rds.Instance, (instance, args, reportViolation) => {
    if (instance.deletionProtection !== true) {
      reportViolation(`Set deletionProtection: true on ${describeInstance(instance, args)}.`);
    }
  }),
});

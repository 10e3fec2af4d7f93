/** The database is reached from the cluster's private subnets only, never from the internet. */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "../../lib/define";
import { awsFoundationalControl } from "../frameworks";
import { describeInstance } from "./instance";
import { configSchema } from "../../lib/config";

export const rdsInstanceNotPubliclyAccessible = resourcePolicy({
  name: "aws-rds-instance-not-publicly-accessible",
  description: "RDS instances are not publicly accessible.",
  severity: "critical",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_17"], awsSecurityHub: ["RDS.2"] },
  framework: awsFoundationalControl("rds", "RDS.2 RDS DB instances should prohibit public access"),
  tags: ["aws", "security", "network", "lgpd"],
  remediationSteps: "Set publiclyAccessible: false and place the instance in private subnets.",
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateResource: validateResourceOfType(aws.rds.Instance, (instance, args, reportViolation) => {
    if (instance.publiclyAccessible === true) {
      reportViolation(`Set publiclyAccessible: false on ${describeInstance(instance, args)}.`);
    }
  }),
});

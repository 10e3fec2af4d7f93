/** A single-AZ primary is down for the length of an AZ outage or a host failure; Multi-AZ fails over. */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "../../lib/define";
import { awsFoundationalControl } from "../frameworks";
import { describeInstance, isReadReplica } from "./instance";
import { configSchema } from "../../lib/config";

export const rdsInstanceMultiAz = resourcePolicy({
  name: "aws-rds-instance-multi-az",
  description: "RDS primary instances are deployed Multi-AZ.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_157"], awsSecurityHub: ["RDS.5"] },
  framework: awsFoundationalControl(
    "rds",
    "RDS.5 RDS DB instances should be configured with multiple Availability Zones",
  ),
  tags: ["aws", "reliability"],
  remediationSteps: "Set multiAz: true on the primary instance.",
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateResource: validateResourceOfType(aws.rds.Instance, (instance, args, reportViolation) => {
    if (!isReadReplica(instance) && instance.multiAz !== true) {
      reportViolation(`Set multiAz: true on ${describeInstance(instance, args)}.`);
    }
  }),
});

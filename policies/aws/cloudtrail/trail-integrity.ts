/**
 * The audit trail can be trusted (LGPD art. 37 and 46, HIPAA 164.312(b)): it records every region (IAM
 * and other global services included), its log files carry digests that prove them unchanged, and they
 * are encrypted with a customer key.
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "../../lib/define";
import { configSchema } from "../../lib/config";
import { isSet, tryKnown } from "../../lib/known";
import { awsFoundationalControl } from "../frameworks";

export const cloudtrailTrailIntegrity = resourcePolicy({
  name: "aws-cloudtrail-trail-integrity",
  description:
    "CloudTrail trails record every region, validate their log files and encrypt them with a KMS key.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: {
    checkov: ["CKV_AWS_67", "CKV_AWS_36", "CKV_AWS_35"],
    awsSecurityHub: ["CloudTrail.1", "CloudTrail.4", "CloudTrail.2"],
  },
  framework: awsFoundationalControl("cloudtrail", "CloudTrail.1, CloudTrail.2, CloudTrail.4"),
  tags: ["aws", "security", "lgpd", "audit"],
  remediationSteps:
    "Set isMultiRegionTrail: true, includeGlobalServiceEvents: true, enableLogFileValidation: true and kmsKeyId on the trail.",
  configSchema: configSchema(),
  validateResource: validateResourceOfType(aws.cloudtrail.Trail, (trail, args, reportViolation) => {
    const name = tryKnown(() => trail.name);
    const which = `trail '${name.known && name.value ? name.value : args.name}'`;
    const wanted: [string, boolean][] = [
      ["isMultiRegionTrail: true", trail.isMultiRegionTrail === true],
      // The provider's default is true; only an explicit false leaves IAM's events out.
      ["includeGlobalServiceEvents: true", trail.includeGlobalServiceEvents !== false],
      ["enableLogFileValidation: true", trail.enableLogFileValidation === true],
      ["kmsKeyId (a customer KMS key)", isSet(trail, "kmsKeyId")],
    ];
    const missing = wanted.filter(([, ok]) => !ok).map(([what]) => what);
    if (missing.length) reportViolation(`Set ${missing.join(", ")} on ${which}.`);
  }),
});

/** Yearly rotation bounds how much data any one key version protects; AWS keeps old versions for decryption. */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "../../lib/define";
import { tryKnown } from "../../lib/known";
import { awsFoundationalControl } from "../frameworks";
import { configSchema } from "../../lib/config";

export const kmsKeyRotationEnabled = resourcePolicy({
  name: "aws-kms-key-rotation-enabled",
  description: "Symmetric KMS keys have automatic rotation enabled.",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_7"], awsSecurityHub: ["KMS.4"] },
  framework: awsFoundationalControl("kms", "KMS.4 AWS KMS key rotation should be enabled"),
  tags: ["aws", "security"],
  remediationSteps: "Set enableKeyRotation: true (optionally rotationPeriodInDays).",
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateResource: validateResourceOfType(aws.kms.Key, (key, args, reportViolation) => {
    const spec = key.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
    const usage = key.keyUsage ?? "ENCRYPT_DECRYPT";
    // AWS only rotates symmetric encryption keys; asymmetric and HMAC keys cannot enable rotation.
    if (spec !== "SYMMETRIC_DEFAULT" || usage !== "ENCRYPT_DECRYPT") {
      return args.notApplicable("Only symmetric ENCRYPT_DECRYPT keys support automatic rotation.");
    }
    if (key.enableKeyRotation !== true) {
      const description = tryKnown(() => key.description);
      const label = description.known && description.value ? ` (${description.value})` : "";
      reportViolation(`Set enableKeyRotation: true on KMS key '${args.name}'${label}.`);
    }
  }),
});

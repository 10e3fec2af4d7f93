/**
 * S3 encrypts everything with S3-managed keys by default; SSE-KMS adds a key whose use is logged in
 * CloudTrail and whose policy decides who can decrypt, which is what an LGPD audit asks about.
 */
import { awsFoundationalControl } from "../../../aws/frameworks";
import { configSchema, readConfig, stringList } from "../../../lib/config";
import { stackPolicy } from "../../../lib/define";
import { DeferredUnknowns } from "../../graph";
import { checkBucketSettings, describeBucket } from "./bucket-links";

const defaults = { allowedAlgorithms: ["aws:kms", "aws:kms:dsse"] };

interface EncryptionRule {
  applyServerSideEncryptionByDefault?: { sseAlgorithm?: string };
}

export const s3BucketKmsEncryption = stackPolicy({
  name: "aws-s3-bucket-kms-encryption",
  description: "Every S3 bucket encrypts objects by default with SSE-KMS.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_145"], awsSecurityHub: ["S3.17"] },
  framework: awsFoundationalControl(
    "s3",
    "S3.17 S3 general purpose buckets should be encrypted at rest with AWS KMS keys",
  ),
  tags: ["aws", "security", "lgpd"],
  remediationSteps:
    "Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with a rule whose " +
    'applyServerSideEncryptionByDefault.sseAlgorithm is "aws:kms" (kmsMasterKeyId: a key with rotation, ' +
    "bucketKeyEnabled: true to cut KMS costs).",
  configSchema: configSchema({
    allowedAlgorithms: stringList("Accepted default encryption algorithms.", defaults.allowedAlgorithms),
  }),
  validateStack: (args, reportViolation) => {
    const { allowedAlgorithms } = readConfig(args, defaults);
    const deferred = new DeferredUnknowns();
    checkBucketSettings(
      args.resources,
      {
        kind: "encryption",
        missing: (bucket) =>
          `Add an aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm "aws:kms" for ${describeBucket(bucket)}.`,
        check: (configuration, bucket) => {
          const rules = (configuration.props["rules"] ?? []) as EncryptionRule[];
          const algorithms = rules.map((rule) => rule.applyServerSideEncryptionByDefault?.sseAlgorithm);
          return algorithms.some(
            (algorithm) => algorithm !== undefined && allowedAlgorithms.includes(algorithm),
          )
            ? undefined
            : `Set applyServerSideEncryptionByDefault.sseAlgorithm to "aws:kms" in the encryption configuration ` +
                `of ${describeBucket(bucket)} (it is ${algorithms.filter(Boolean).join(", ") || "unset"}).`;
        },
      },
      reportViolation,
      deferred,
    );
    deferred.rethrow();
  },
});

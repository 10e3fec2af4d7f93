/** Versioning turns an overwrite or a delete into a new version, so a bad deploy or a bug cannot lose data. */
import { awsFoundationalControl } from "../../../aws/frameworks";
import { stackPolicy } from "../../../lib/define";
import { DeferredUnknowns } from "../../graph";
import { checkBucketSettings, describeBucket } from "./bucket-links";
import { configSchema } from "../../../lib/config";

export const s3BucketVersioningEnabled = stackPolicy({
  name: "aws-s3-bucket-versioning-enabled",
  description: "Every S3 bucket has versioning enabled.",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_21"], awsSecurityHub: ["S3.14"] },
  framework: awsFoundationalControl("s3", "S3.14 S3 general purpose buckets should have versioning enabled"),
  tags: ["aws", "reliability"],
  remediationSteps:
    'Add an aws.s3.BucketVersioning for the bucket with versioningConfiguration.status "Enabled".',
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateStack: (args, reportViolation) => {
    const deferred = new DeferredUnknowns();
    checkBucketSettings(
      args.resources,
      {
        kind: "versioning",
        missing: (bucket) =>
          `Add an aws.s3.BucketVersioning with status "Enabled" for ${describeBucket(bucket)}.`,
        check: (versioning, bucket) => {
          const status = (versioning.props["versioningConfiguration"] as { status?: string } | undefined)
            ?.status;
          return status === "Enabled"
            ? undefined
            : `Set versioningConfiguration.status to "Enabled" for ${describeBucket(bucket)} (it is ${status ?? "unset"}).`;
        },
      },
      reportViolation,
      deferred,
    );
    deferred.rethrow();
  },
});

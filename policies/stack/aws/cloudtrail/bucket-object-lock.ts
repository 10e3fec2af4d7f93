/**
 * Nobody erases the audit trail (LGPD art. 37, HIPAA 164.312(b) and 164.316(b)(2)): the bucket a trail
 * delivers to is created with Object Lock and a default retention of at least the configured days, in
 * a mode the stack's config allows (COMPLIANCE by default: not even the root user deletes early).
 */
import * as aws from "@pulumi/aws";
import { configSchema, readConfig, stringList } from "../../../lib/config";
import { stackPolicy } from "../../../lib/define";
import { builtFrom, DeferredUnknowns, ofType } from "../../graph";
import { bucketClasses, checkBucketSettings, describeBucket } from "../s3/bucket-links";
import { lockRetentionProblem } from "../s3/lock-retention";

interface TrailLockConfig {
  minRetentionDays: number;
  allowedRetentionModes: string[];
}

const defaults: TrailLockConfig = { minRetentionDays: 365, allowedRetentionModes: ["COMPLIANCE"] };

export const cloudtrailBucketObjectLock = stackPolicy({
  name: "aws-cloudtrail-bucket-object-lock",
  description:
    "A trail's bucket has Object Lock with a default retention of at least the configured days, in an allowed mode.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_143"], awsSecurityHub: ["S3.15"] },
  tags: ["aws", "audit", "lgpd"],
  remediationSteps:
    "Create the trail's bucket with objectLockEnabled: true and an aws.s3.BucketObjectLockConfiguration whose " +
    "rule.defaultRetention has an allowed mode and at least the minimum days.",
  configSchema: configSchema({
    minRetentionDays: {
      type: "integer",
      minimum: 1,
      description: "Fewest days a trail's log file stays locked.",
      default: defaults.minRetentionDays,
    },
    allowedRetentionModes: stringList(
      "Accepted Object Lock modes for a trail's bucket.",
      defaults.allowedRetentionModes,
    ),
  }),
  validateStack: (args, reportViolation) => {
    const config = readConfig(args, defaults);
    const deferred = new DeferredUnknowns();
    const trails = ofType(args.resources, aws.cloudtrail.Trail);
    const trailBuckets = ofType(args.resources, ...bucketClasses).filter((bucket) =>
      trails.some((trail) => builtFrom(trail, bucket, "s3BucketName")),
    );
    for (const bucket of trailBuckets) {
      deferred.attempt(() => {
        if (bucket.props["objectLockEnabled"] !== true) {
          reportViolation(
            `Create ${describeBucket(bucket)}, a trail's bucket, with objectLockEnabled: true.`,
            bucket.urn,
          );
        }
      });
    }
    checkBucketSettings(
      args.resources,
      {
        kind: "objectLock",
        appliesTo: (bucket) => trailBuckets.includes(bucket),
        missing: (bucket) =>
          `Add an aws.s3.BucketObjectLockConfiguration of at least ${config.minRetentionDays} days to ${describeBucket(bucket)}, a trail's bucket.`,
        check: (lock, bucket) =>
          lockRetentionProblem(lock, bucket, config.minRetentionDays, config.allowedRetentionModes),
      },
      reportViolation,
      deferred,
    );
    deferred.rethrow();
  },
});

/**
 * Backups that never expire grow the bill forever and keep personal data longer than its purpose needs
 * (LGPD's necessity principle). The backup bucket expires objects or old versions, or moves them to
 * colder storage, through an enabled lifecycle rule.
 */
import { awsFoundationalControl } from "../../../aws/frameworks";
import { configSchema, readConfig } from "../../../lib/config";
import { stackPolicy } from "../../../lib/define";
import { DeferredUnknowns, ofType } from "../../graph";
import { backupBucketIdentitySchema, defaultBackupBucketIdentity, isBackupBucket } from "./backup-bucket";
import { bucketClasses, checkBucketSettings, describeBucket } from "./bucket-links";

interface LifecycleRule {
  status?: string;
  expiration?: object;
  noncurrentVersionExpiration?: object;
  transitions?: unknown[];
  noncurrentVersionTransitions?: unknown[];
}

function managesRetention(rule: LifecycleRule): boolean {
  return (
    rule.status === "Enabled" &&
    (rule.expiration !== undefined ||
      rule.noncurrentVersionExpiration !== undefined ||
      (rule.transitions ?? []).length > 0 ||
      (rule.noncurrentVersionTransitions ?? []).length > 0)
  );
}

export const s3BackupBucketLifecycle = stackPolicy({
  name: "aws-s3-backup-bucket-lifecycle",
  description: "The backup bucket has an enabled lifecycle rule that expires or transitions old backups.",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV2_AWS_61"], awsSecurityHub: ["S3.13"] },
  framework: awsFoundationalControl(
    "s3",
    "S3.13 S3 general purpose buckets should have Lifecycle configurations",
  ),
  tags: ["aws", "backup", "cost", "lgpd"],
  remediationSteps:
    'Add an aws.s3.BucketLifecycleConfiguration for the backup bucket with a rule (status "Enabled") that ' +
    "expires noncurrent versions and/or transitions old backups to Glacier after the retention period.",
  configSchema: configSchema(backupBucketIdentitySchema),
  validateStack: (args, reportViolation) => {
    const identity = readConfig(args, defaultBackupBucketIdentity);
    const deferred = new DeferredUnknowns();
    const backupBuckets = ofType(args.resources, ...bucketClasses).filter((b) => isBackupBucket(b, identity));
    checkBucketSettings(
      args.resources,
      {
        kind: "lifecycle",
        appliesTo: (bucket) => backupBuckets.includes(bucket),
        missing: (bucket) =>
          `Add an aws.s3.BucketLifecycleConfiguration that expires or transitions old backups for ${describeBucket(bucket)}.`,
        check: (lifecycle, bucket) =>
          ((lifecycle.props["rules"] ?? []) as LifecycleRule[]).some(managesRetention)
            ? undefined
            : `Add an enabled rule with expiration, noncurrentVersionExpiration or transitions to the lifecycle ` +
              `configuration of ${describeBucket(bucket)}.`,
      },
      reportViolation,
      deferred,
    );
    deferred.rethrow();
  },
});

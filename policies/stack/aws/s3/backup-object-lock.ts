/**
 * Backups are the last line against ransomware and against our own mistakes, so nobody (not even an
 * administrator, in COMPLIANCE mode) may delete or overwrite them before their retention ends. That takes
 * Object Lock, which S3 only allows on buckets created with it, plus a default retention rule.
 */
import { awsFoundationalControl } from "../../../aws/frameworks";
import { configSchema, readConfig, stringList } from "../../../lib/config";
import { stackPolicy } from "../../../lib/define";
import { DeferredUnknowns, ofType } from "../../graph";
import {
  backupBucketIdentitySchema,
  defaultBackupBucketIdentity,
  isBackupBucket,
  type BackupBucketIdentity,
} from "./backup-bucket";
import { bucketClasses, checkBucketSettings, describeBucket } from "./bucket-links";
import { lockRetentionProblem } from "./lock-retention";

interface ObjectLockConfig extends BackupBucketIdentity {
  minRetentionDays: number;
  allowedRetentionModes: string[];
  requireBackupBucket: boolean;
}

const defaults: ObjectLockConfig = {
  ...defaultBackupBucketIdentity,
  minRetentionDays: 30,
  allowedRetentionModes: ["COMPLIANCE", "GOVERNANCE"],
  requireBackupBucket: false,
};

export const s3BackupBucketObjectLock = stackPolicy({
  name: "aws-s3-backup-bucket-object-lock",
  description:
    "The backup bucket is created with Object Lock and a default retention of at least the configured days.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_143"], awsSecurityHub: ["S3.15"] },
  framework: awsFoundationalControl("s3", "S3.15 S3 general purpose buckets should have Object Lock enabled"),
  tags: ["aws", "backup", "reliability", "lgpd"],
  remediationSteps:
    "Create the backup bucket with objectLockEnabled: true (S3 cannot add it later) and add an " +
    "aws.s3.BucketObjectLockConfiguration with rule.defaultRetention { mode, days >= the minimum }.",
  configSchema: configSchema(backupBucketIdentitySchema, {
    minRetentionDays: {
      type: "integer",
      minimum: 1,
      description: "Fewest days a backup object stays locked.",
      default: defaults.minRetentionDays,
    },
    allowedRetentionModes: stringList(
      "Accepted Object Lock retention modes.",
      defaults.allowedRetentionModes,
    ),
    requireBackupBucket: {
      type: "boolean",
      description: "Report the stack when no bucket is identified as the backup bucket.",
      default: defaults.requireBackupBucket,
    },
  }),
  validateStack: (args, reportViolation) => {
    const config = readConfig(args, defaults);
    const deferred = new DeferredUnknowns();
    const backupBuckets = ofType(args.resources, ...bucketClasses).filter((b) => isBackupBucket(b, config));
    if (backupBuckets.length === 0 && config.requireBackupBucket) {
      reportViolation(
        `Declare the backup bucket, tagged ${config.backupBucketTagKey}=${config.backupBucketTagValue} ` +
          `so it can be checked.`,
      );
    }
    for (const bucket of backupBuckets) {
      deferred.attempt(() => {
        if (bucket.props["objectLockEnabled"] !== true) {
          reportViolation(`Create ${describeBucket(bucket)} with objectLockEnabled: true.`, bucket.urn);
        }
      });
    }
    checkBucketSettings(
      args.resources,
      {
        kind: "objectLock",
        appliesTo: (bucket) => backupBuckets.includes(bucket),
        missing: (bucket) =>
          `Add an aws.s3.BucketObjectLockConfiguration with a default retention of at least ` +
          `${config.minRetentionDays} days for ${describeBucket(bucket)}.`,
        check: (lock, bucket) =>
          lockRetentionProblem(lock, bucket, config.minRetentionDays, config.allowedRetentionModes),
      },
      reportViolation,
      deferred,
    );
    deferred.rethrow();
  },
});

import * as aws from "@pulumi/aws";
import { cloudtrailBucketObjectLock } from "../../../policies/stack/aws/cloudtrail/bucket-object-lock";
import {
  bucketSetting,
  compliantBucket,
  dependsOn,
  expectLevelFromConfig,
  resource,
  rootStack,
  runRule,
} from "../fixtures";

/** A trail and its bucket: locked as configured, or with `lock` in its place (null: none). */
function trailStack(options: { objectLock?: boolean; lock?: { mode: string; days: number } | null } = {}) {
  const [bucket, ...settings] = compliantBucket("healthflow-trail", {
    objectLockEnabled: options.objectLock ?? true,
  });
  const lock = options.lock === undefined ? { mode: "COMPLIANCE", days: 2192 } : options.lock;
  const trail = dependsOn(
    resource(aws.cloudtrail.Trail, "trail", {
      name: "healthflow-production-trail",
      s3BucketName: "healthflow-trail",
    }),
    "s3BucketName",
    bucket,
  );
  return [
    rootStack,
    bucket,
    ...settings,
    ...(lock
      ? [
          bucketSetting(aws.s3.BucketObjectLockConfiguration, "trail-lock", bucket, {
            rule: { defaultRetention: lock },
          }),
        ]
      : []),
    trail,
  ];
}

describe("aws-cloudtrail-bucket-object-lock", () => {
  it("accepts a trail's bucket locked in COMPLIANCE for at least the minimum", async () => {
    expect((await runRule(cloudtrailBucketObjectLock, trailStack())).violations).toEqual([]);
  });

  it("refuses a trail's bucket without Object Lock, and one without its lock's configuration", async () => {
    const { messages } = await runRule(
      cloudtrailBucketObjectLock,
      trailStack({ objectLock: false, lock: null }),
    );
    expect(messages).toEqual([
      "Create S3 bucket 'healthflow-trail', a trail's bucket, with objectLockEnabled: true.",
      "Add an aws.s3.BucketObjectLockConfiguration of at least 365 days to S3 bucket 'healthflow-trail', a trail's bucket.",
    ]);
  });

  it("refuses a lock that is too short or in GOVERNANCE (an administrator could shorten it)", async () => {
    const short = await runRule(
      cloudtrailBucketObjectLock,
      trailStack({ lock: { mode: "COMPLIANCE", days: 90 } }),
    );
    expect(short.messages).toEqual([
      "Set rule.defaultRetention of the Object Lock configuration of S3 bucket 'healthflow-trail' to at least 365 days (it is 90).",
    ]);
    const governance = await runRule(
      cloudtrailBucketObjectLock,
      trailStack({ lock: { mode: "GOVERNANCE", days: 400 } }),
    );
    expect(governance.messages).toEqual([
      "Set rule.defaultRetention.mode of the Object Lock configuration of S3 bucket 'healthflow-trail' to COMPLIANCE.",
    ]);
    // Staging's config allows GOVERNANCE for 180 days (policies/config/staging.json).
    const staging = await runRule(
      cloudtrailBucketObjectLock,
      trailStack({ lock: { mode: "GOVERNANCE", days: 180 } }),
      {
        minRetentionDays: 180,
        allowedRetentionModes: ["COMPLIANCE", "GOVERNANCE"],
      },
    );
    expect(staging.violations).toEqual([]);
  });

  it("leaves buckets no trail writes to alone", async () => {
    const [bucket, ...settings] = compliantBucket("healthflow-uploads");
    expect((await runRule(cloudtrailBucketObjectLock, [rootStack, bucket, ...settings])).violations).toEqual(
      [],
    );
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(cloudtrailBucketObjectLock, trailStack({ objectLock: false }));
  });
});

import * as aws from "@pulumi/aws";
import { s3BackupBucketLifecycle } from "../../../policies/stack/aws/s3/backup-lifecycle";
import { s3BackupBucketObjectLock } from "../../../policies/stack/aws/s3/backup-object-lock";
import { s3BucketKmsEncryption } from "../../../policies/stack/aws/s3/kms-encryption";
import { s3BucketPublicAccessBlocked } from "../../../policies/stack/aws/s3/public-access-blocked";
import { policyRequiresTls, s3BucketTlsOnlyPolicy } from "../../../policies/stack/aws/s3/tls-only-policy";
import { s3BucketVersioningEnabled } from "../../../policies/stack/aws/s3/versioning-enabled";
import { typeTokenOf } from "../../../policies/lib/policy-runtime";
import type { OfflineResource } from "../../../policies/offline";
import {
  bucket,
  bucketSetting,
  compliantBackupBucket,
  compliantBucket,
  expectLevelFromConfig,
  resource,
  runRule,
  UNKNOWN,
} from "../fixtures";

/** The compliant bucket without its settings resources of one type. */
function without(
  resources: OfflineResource[],
  resourceClass: Parameters<typeof typeTokenOf>[0],
): OfflineResource[] {
  const type = typeTokenOf(resourceClass);
  return resources.filter((r) => r.type !== type);
}

function replaceProps(
  resources: OfflineResource[],
  name: string,
  props: Record<string, unknown>,
): OfflineResource[] {
  return resources.map((r) => (r.name === name ? { ...r, props: { ...r.props, ...props } } : r));
}

describe("linking settings resources to their bucket", () => {
  it("links by property dependency while the bucket id is unknown", async () => {
    expect((await runRule(s3BucketVersioningEnabled, compliantBucket("uploads"))).violations).toEqual([]);
  });

  it("links by a known bucket name when there are no property dependencies", async () => {
    const uploads = bucket("healthflow-uploads");
    const versioning = resource(aws.s3.BucketVersioning, "uploads-versioning", {
      bucket: "healthflow-uploads",
      versioningConfiguration: { status: "Enabled" },
    });
    expect((await runRule(s3BucketVersioningEnabled, [uploads, versioning])).violations).toEqual([]);
  });

  it("links by a plain dependency when that is all the engine recorded", async () => {
    const uploads = bucket("uploads");
    const versioning = resource(
      aws.s3.BucketVersioning,
      "uploads-versioning",
      {
        bucket: UNKNOWN,
        versioningConfiguration: { status: "Enabled" },
      },
      { dependencies: [uploads.urn] },
    );
    expect((await runRule(s3BucketVersioningEnabled, [uploads, versioning])).violations).toEqual([]);
  });

  it("accepts the deprecated *V2 settings resources", async () => {
    const uploads = bucket("uploads");
    const versioning = bucketSetting(aws.s3.BucketVersioningV2, "uploads-versioning", uploads, {
      versioningConfiguration: { status: "Enabled" },
    });
    expect((await runRule(s3BucketVersioningEnabled, [uploads, versioning])).violations).toEqual([]);
  });

  it("does not lend one bucket's settings to another", async () => {
    const [uploads, ...settings] = compliantBucket("uploads");
    const { violations } = await runRule(s3BucketVersioningEnabled, [
      uploads,
      ...settings,
      bucket("exports"),
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain("S3 bucket 'exports'");
  });

  it("says it cannot decide when a settings resource's bucket is unknown and unlinked", async () => {
    const uploads = bucket("uploads");
    const orphan = resource(aws.s3.BucketVersioning, "mystery", {
      bucket: UNKNOWN,
      versioningConfiguration: { status: "Enabled" },
    });
    const run = await runRule(s3BucketVersioningEnabled, [uploads, orphan]);
    expect(run.violations).toEqual([]);
    expect(run.notEvaluated).toEqual([
      expect.objectContaining({ policyName: "aws-s3-bucket-versioning-enabled" }),
    ]);
  });
});

describe("aws-s3-bucket-public-access-blocked", () => {
  it("accepts a bucket with all four settings on", async () => {
    expect((await runRule(s3BucketPublicAccessBlocked, compliantBucket("uploads"))).violations).toEqual([]);
  });

  /** The account-wide block, all four settings on unless `settings` says otherwise. */
  const accountBlock = (settings: Record<string, unknown> = {}) =>
    resource(aws.s3.AccountPublicAccessBlock, "account", {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
      ...settings,
    });

  it("accepts buckets covered by the account-wide block", async () => {
    const account = accountBlock();
    expect((await runRule(s3BucketPublicAccessBlocked, [bucket("uploads"), account])).violations).toEqual([]);
  });

  it("says it cannot decide while the account-wide block's settings are unknown", async () => {
    const account = accountBlock({ blockPublicAcls: UNKNOWN });
    const run = await runRule(s3BucketPublicAccessBlocked, [bucket("uploads"), account]);
    expect(run.violations).toEqual([]);
    expect(run.notEvaluated).toEqual([
      expect.objectContaining({ reason: expect.stringContaining(".blockPublicAcls") }),
    ]);
  });

  it("reports a missing block on the bucket", async () => {
    const resources = without(compliantBucket("uploads"), aws.s3.BucketPublicAccessBlock);
    const { messages, violations } = await runRule(s3BucketPublicAccessBlocked, resources);
    expect(messages).toEqual([
      "Add an aws.s3.BucketPublicAccessBlock with all four settings true for S3 bucket 'uploads'.",
    ]);
    expect(violations[0].urn).toBe(resources[0].urn);
  });

  it("reports settings left off on the block itself", async () => {
    const resources = replaceProps(compliantBucket("uploads"), "uploads-public-access", {
      blockPublicPolicy: false,
    });
    const { messages, violations } = await runRule(s3BucketPublicAccessBlocked, resources);
    expect(messages).toEqual([
      "Set blockPublicPolicy: true on the public access block of S3 bucket 'uploads'.",
    ]);
    expect(violations[0].urn).toBe(resources.find((r) => r.name === "uploads-public-access")?.urn);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(s3BucketPublicAccessBlocked, [bucket("uploads")]);
  });
});

describe("aws-s3-bucket-kms-encryption", () => {
  it("accepts SSE-KMS", async () => {
    expect((await runRule(s3BucketKmsEncryption, compliantBucket("uploads"))).violations).toEqual([]);
  });

  it("refuses S3-managed keys", async () => {
    const resources = replaceProps(compliantBucket("uploads"), "uploads-encryption", {
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    expect((await runRule(s3BucketKmsEncryption, resources)).messages).toEqual([
      "Set applyServerSideEncryptionByDefault.sseAlgorithm to \"aws:kms\" in the encryption configuration of S3 bucket 'uploads' (it is AES256).",
    ]);
    const unset = replaceProps(compliantBucket("uploads"), "uploads-encryption", { rules: [{}] });
    expect((await runRule(s3BucketKmsEncryption, unset)).messages).toEqual([
      "Set applyServerSideEncryptionByDefault.sseAlgorithm to \"aws:kms\" in the encryption configuration of S3 bucket 'uploads' (it is unset).",
    ]);
  });

  it("accepts dual-layer SSE-KMS too (aws:kms:dsse: KMS keys, two layers; S3.17 counts it as KMS)", async () => {
    const resources = replaceProps(compliantBucket("uploads"), "uploads-encryption", {
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms:dsse" } }],
    });
    expect((await runRule(s3BucketKmsEncryption, resources)).violations).toEqual([]);
  });

  it("reports a bucket without an encryption configuration", async () => {
    const resources = without(compliantBucket("uploads"), aws.s3.BucketServerSideEncryptionConfiguration);
    expect((await runRule(s3BucketKmsEncryption, resources)).violations).toHaveLength(1);
  });

  it("uses the configured algorithms", async () => {
    const resources = replaceProps(compliantBucket("uploads"), "uploads-encryption", {
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    const relaxed = await runRule(s3BucketKmsEncryption, resources, {
      allowedAlgorithms: ["aws:kms", "AES256"],
    });
    expect(relaxed.violations).toEqual([]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(s3BucketKmsEncryption, [bucket("uploads")]);
  });
});

describe("aws-s3-bucket-versioning-enabled", () => {
  it("does not count versioning of a bucket this stack does not declare", async () => {
    const resources = [
      ...without(compliantBucket("uploads"), aws.s3.BucketVersioning),
      resource(aws.s3.BucketVersioning, "elsewhere-versioning", {
        bucket: "someone-elses-bucket",
        versioningConfiguration: { status: "Enabled" },
      }),
    ];
    expect((await runRule(s3BucketVersioningEnabled, resources)).violations).toHaveLength(1);
  });

  it("refuses suspended versioning", async () => {
    const resources = replaceProps(compliantBucket("uploads"), "uploads-versioning", {
      versioningConfiguration: { status: "Suspended" },
    });
    expect((await runRule(s3BucketVersioningEnabled, resources)).messages).toEqual([
      "Set versioningConfiguration.status to \"Enabled\" for S3 bucket 'uploads' (it is Suspended).",
    ]);
    const unset = replaceProps(compliantBucket("uploads"), "uploads-versioning", {
      versioningConfiguration: {},
    });
    expect((await runRule(s3BucketVersioningEnabled, unset)).messages).toEqual([
      "Set versioningConfiguration.status to \"Enabled\" for S3 bucket 'uploads' (it is unset).",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(s3BucketVersioningEnabled, [bucket("uploads")]);
  });
});

describe("aws-s3-bucket-tls-only-policy", () => {
  it("recognises the standard deny-insecure-transport statement, as text or as an object", () => {
    const statement = {
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: ["s3:*"],
      Condition: { Bool: { "aws:SecureTransport": false } },
    };
    expect(policyRequiresTls({ Statement: [statement] })).toBe(true);
    expect(policyRequiresTls(JSON.stringify({ Statement: statement }))).toBe(true);
    expect(policyRequiresTls({ Statement: [{ ...statement, Effect: "Allow" }] })).toBe(false);
    expect(
      policyRequiresTls({
        Statement: [{ ...statement, Condition: { Bool: { "aws:SecureTransport": "true" } } }],
      }),
    ).toBe(false);
    expect(policyRequiresTls("not json")).toBe(false);
  });

  it("accepts a bucket whose policy refuses plain HTTP", async () => {
    expect((await runRule(s3BucketTlsOnlyPolicy, compliantBucket("uploads"))).violations).toEqual([]);
  });

  it("refuses a policy without the TLS guard", async () => {
    const resources = replaceProps(compliantBucket("uploads"), "uploads-policy", {
      policy: JSON.stringify({
        Statement: [
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:role/app" }, Action: "s3:GetObject" },
        ],
      }),
    });
    expect((await runRule(s3BucketTlsOnlyPolicy, resources)).messages).toEqual([
      'Add a Deny statement for Principal "*", Action "s3:*" when aws:SecureTransport is "false" to the bucket policy of S3 bucket \'uploads\'.',
    ]);
  });

  it("cannot judge a policy document built from unknown ARNs during preview", async () => {
    const resources = replaceProps(compliantBucket("uploads"), "uploads-policy", { policy: UNKNOWN });
    const run = await runRule(s3BucketTlsOnlyPolicy, [
      ...resources,
      ...without(compliantBucket("exports"), aws.s3.BucketPolicy),
    ]);
    // The bucket that has no policy at all is still reported; the unknown one is "not evaluated".
    expect(run.messages).toEqual([
      "Add an aws.s3.BucketPolicy that denies requests without TLS (aws:SecureTransport = false) for S3 bucket 'exports'.",
    ]);
    expect(run.notEvaluated).toEqual([
      expect.objectContaining({ reason: expect.stringContaining(".policy") }),
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(s3BucketTlsOnlyPolicy, [bucket("uploads")]);
  });
});

describe("aws-s3-backup-bucket-object-lock", () => {
  it("accepts the backup bucket with Object Lock and 30 days of retention", async () => {
    const resources = [...compliantBackupBucket(), ...compliantBucket("uploads")];
    expect(
      (await runRule(s3BackupBucketObjectLock, resources, { requireBackupBucket: true })).violations,
    ).toEqual([]);
  });

  it("identifies the backup bucket by its tag, never by a name that says backup", async () => {
    // A stack named brk-backup: its uploads bucket carries the stack's name, and no backup tag.
    const uploads = compliantBucket("healthflow-brk-backup-uploads");
    expect((await runRule(s3BackupBucketObjectLock, uploads)).violations).toEqual([]);
    expect((await runRule(s3BackupBucketLifecycle, uploads)).violations).toEqual([]);
    const untagged = replaceProps(compliantBackupBucket(), "healthflow-backups", {
      objectLockEnabled: false,
      tags: {},
    });
    expect((await runRule(s3BackupBucketObjectLock, untagged)).violations).toEqual([]);
    const tagged = replaceProps(compliantBackupBucket(), "healthflow-backups", { objectLockEnabled: false });
    expect((await runRule(s3BackupBucketObjectLock, tagged)).messages).toEqual([
      "Create S3 bucket 'healthflow-backups' with objectLockEnabled: true.",
    ]);
  });

  it("identifies the backup bucket by the configured tag", async () => {
    const archive = bucket("archive", { tags: { role: "pg-dumps" } });
    expect((await runRule(s3BackupBucketObjectLock, [archive])).violations).toEqual([]);
    const tagged = await runRule(s3BackupBucketObjectLock, [archive], {
      backupBucketTagKey: "role",
      backupBucketTagValue: "pg-dumps",
    });
    expect(tagged.messages).toEqual([
      "Create S3 bucket 'archive' with objectLockEnabled: true.",
      "Add an aws.s3.BucketObjectLockConfiguration with a default retention of at least 30 days for S3 bucket 'archive'.",
    ]);
  });

  it("refuses a retention shorter than configured or in a mode the stack does not allow", async () => {
    const resources = compliantBackupBucket();
    const longer = await runRule(s3BackupBucketObjectLock, resources, { minRetentionDays: 35 });
    expect(longer.messages).toEqual([
      "Set rule.defaultRetention of the Object Lock configuration of S3 bucket 'healthflow-backups' to at least 35 days (it is 30).",
    ]);
    const governance = replaceProps(resources, "healthflow-backups-lock", {
      rule: { defaultRetention: { mode: "GOVERNANCE", days: 30 } },
    });
    const productionModes = await runRule(s3BackupBucketObjectLock, governance, {
      allowedRetentionModes: ["COMPLIANCE"],
    });
    expect(productionModes.messages).toEqual([
      "Set rule.defaultRetention.mode of the Object Lock configuration of S3 bucket 'healthflow-backups' to COMPLIANCE.",
    ]);
    // A default retention needs a mode (S3 DefaultRetention: Mode is required with Days or Years).
    const modeless = replaceProps(resources, "healthflow-backups-lock", {
      rule: { defaultRetention: { days: 30 } },
    });
    expect((await runRule(s3BackupBucketObjectLock, modeless)).messages).toEqual([
      "Set rule.defaultRetention.mode of the Object Lock configuration of S3 bucket 'healthflow-backups' to COMPLIANCE or GOVERNANCE.",
    ]);
  });

  it("reports the stack when it must have a backup bucket and none is identified", async () => {
    const run = await runRule(s3BackupBucketObjectLock, compliantBucket("uploads"), {
      requireBackupBucket: true,
    });
    expect(run.messages).toEqual(["Declare the backup bucket, tagged purpose=backups so it can be checked."]);
    // Filed under the root stack resource, as the engine does for a violation without a resource.
    expect(run.violations[0].urn).toContain("pulumi:pulumi:Stack");
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(s3BackupBucketObjectLock, [
      bucket("healthflow-backups", { tags: { purpose: "backups" } }),
    ]);
  });
});

describe("aws-s3-backup-bucket-lifecycle", () => {
  it("accepts an enabled rule expiring old versions, and ignores ordinary buckets", async () => {
    const resources = [...compliantBackupBucket(), ...compliantBucket("uploads")];
    expect((await runRule(s3BackupBucketLifecycle, resources)).violations).toEqual([]);
  });

  it("refuses a backup bucket whose only rule is disabled", async () => {
    const resources = replaceProps(compliantBackupBucket(), "healthflow-backups-lifecycle", {
      rules: [{ id: "expire", status: "Disabled", expiration: { days: 365 } }],
    });
    expect((await runRule(s3BackupBucketLifecycle, resources)).messages).toEqual([
      "Add an enabled rule with expiration, noncurrentVersionExpiration or transitions to the lifecycle configuration of S3 bucket 'healthflow-backups'.",
    ]);
  });

  // Each of the four actions manages retention on its own (S3 lifecycle: Expiration,
  // NoncurrentVersionExpiration, Transition, NoncurrentVersionTransition); an empty list is none.
  it.each([
    [{ expiration: { days: 365 } }, 0],
    [{ noncurrentVersionExpiration: { noncurrentDays: 30 } }, 0],
    [{ transitions: [{ days: 30, storageClass: "GLACIER" }] }, 0],
    [{ noncurrentVersionTransitions: [{ noncurrentDays: 30, storageClass: "GLACIER" }] }, 0],
    [{ transitions: [], noncurrentVersionTransitions: [] }, 1],
    [{}, 1],
  ])("an enabled rule with %j: %p violations", async (action, expected) => {
    const resources = replaceProps(compliantBackupBucket(), "healthflow-backups-lifecycle", {
      rules: [{ id: "retention", status: "Enabled", ...action }],
    });
    expect((await runRule(s3BackupBucketLifecycle, resources)).violations).toHaveLength(expected);
  });

  it("reports a backup bucket without lifecycle configuration", async () => {
    const resources = without(compliantBackupBucket(), aws.s3.BucketLifecycleConfiguration);
    expect((await runRule(s3BackupBucketLifecycle, resources)).violations).toHaveLength(1);
  });

  it("refuses a tag key that is not a string, naming it (the rule's config schema)", async () => {
    await expect(
      runRule(s3BackupBucketLifecycle, compliantBackupBucket(), { backupBucketTagKey: 5 }),
    ).rejects.toThrow(/Invalid policy pack config:[\s\S]*backupBucketTagKey/);
  });

  it("uses the configured tag", async () => {
    const resources = without(compliantBackupBucket("pg-archive"), aws.s3.BucketLifecycleConfiguration).map(
      (r) => (r.name === "pg-archive" ? { ...r, props: { ...r.props, tags: { role: "pg-dumps" } } } : r),
    );
    expect((await runRule(s3BackupBucketLifecycle, resources)).violations).toEqual([]);
    const configured = await runRule(s3BackupBucketLifecycle, resources, {
      backupBucketTagKey: "role",
      backupBucketTagValue: "pg-dumps",
    });
    expect(configured.violations).toHaveLength(1);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(s3BackupBucketLifecycle, [
      bucket("healthflow-backups", { tags: { purpose: "backups" } }),
    ]);
  });
});

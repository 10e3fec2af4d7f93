/**
 * `pulumi destroy -s staging` (issue 27): it must complete, and what it leaves must stay readable.
 * A destroy deletes each resource of the stack unless it is protected (then it stops) or
 * retainOnDelete (then it leaves it in the account and forgets it). S3 refuses to delete a bucket that
 * still has object versions (BucketNotEmpty) unless the provider empties it first (forceDestroy); KMS
 * deletes a key 30 days after a destroy schedules it, and whatever it encrypted becomes unreadable.
 */
import { find, ofType, type RegisteredResource } from "../../harness";
import { plannedRun } from "../../harness/plans";

const byUrn = (resources: RegisteredResource[]) => new Map(resources.map((r) => [r.urn, r]));

/** The resources that configure a bucket (their `bucket` input is the bucket's id). */
const settingsOf = (resources: RegisteredResource[], bucket: RegisteredResource) =>
  resources.filter(
    (r) => r.type.startsWith("aws:s3/") && r.propertyDependencies.bucket?.includes(bucket.urn),
  );

/** The KMS keys a resource's inputs name. */
const keysOf = (resources: RegisteredResource[], r: RegisteredResource) => {
  const all = byUrn(resources);
  return Object.values(r.propertyDependencies)
    .flat()
    .map((urn) => all.get(urn))
    .filter((d): d is RegisteredResource => d?.type === "aws:kms/key:Key");
};

describe("pulumi destroy -s staging", () => {
  let resources: RegisteredResource[];
  beforeAll(() => {
    resources = plannedRun("staging").resources;
  });

  test("completes: nothing is protected, and every bucket is emptied by the provider or left", () => {
    expect(resources.filter((r) => r.protect).map((r) => r.urn)).toEqual([]);
    const buckets = ofType(resources, "aws:s3/bucket:Bucket");
    expect(buckets.length).toBeGreaterThan(0);
    for (const bucket of buckets) {
      expect([bucket.name, bucket.inputs.forceDestroy === true || bucket.retainOnDelete]).toEqual([
        bucket.name,
        true,
      ]);
    }
    // A bucket the provider empties cannot be one that Object Lock keeps: its locked versions would stop the destroy.
    for (const bucket of buckets.filter((b) => b.inputs.forceDestroy === true)) {
      expect(bucket.inputs.objectLockEnabled).toBeUndefined();
    }
  });

  test("the backup bucket is left whole: its lock, lifecycle, encryption and policy stay with it", () => {
    const bucket = find(resources, "aws:s3/bucket:Bucket", "backups");
    expect(bucket.retainOnDelete).toBe(true);
    const settings = settingsOf(resources, bucket);
    // Versioning, Object Lock, lifecycle (tiers and expiry), encryption, public access block, ownership, policy.
    expect(settings.map((r) => r.type.split(":").pop()).sort()).toEqual([
      "BucketLifecycleConfiguration",
      "BucketObjectLockConfiguration",
      "BucketOwnershipControls",
      "BucketPolicy",
      "BucketPublicAccessBlock",
      "BucketServerSideEncryptionConfiguration",
      "BucketVersioning",
    ]);
    for (const setting of settings)
      expect([setting.name, setting.retainOnDelete]).toEqual([setting.name, true]);
  });

  test("every key that encrypts what outlives the stack outlives it too", () => {
    // What a destroy leaves: retained resources, and RDS's final snapshot and automated backups.
    const database = find(resources, "aws:rds/instance:Instance", "postgres");
    expect([database.inputs.skipFinalSnapshot, database.inputs.deleteAutomatedBackups]).toEqual([
      false,
      false,
    ]);
    const outliving = [
      database,
      ...resources.filter((r) => r.retainOnDelete && r.type !== "aws:kms/key:Key"),
    ];
    const keys = new Set(outliving.flatMap((r) => keysOf(resources, r)));
    // The database's key and the backups' key at least.
    expect([...keys].map((k) => k.name).sort()).toEqual(
      expect.arrayContaining(["backups-key", "database-key"]),
    );
    for (const key of keys) expect([key.name, key.retainOnDelete]).toEqual([key.name, true]);
  });

  test("what holds no record of patients is deleted, not left behind", () => {
    // The uploads of staging (test data) go with it; the cluster, the cache and their keys too.
    expect(find(resources, "aws:s3/bucket:Bucket", "uploads").retainOnDelete).toBe(false);
    for (const name of ["uploads-key", "cache-key"])
      expect([name, find(resources, "aws:kms/key:Key", name).retainOnDelete]).toEqual([name, false]);
  });
});

describe("production", () => {
  test("its backups and their keys would be left by a destroy too, and the uploads are never emptied by one", () => {
    const resources = plannedRun("production").resources;
    for (const [type, name] of [
      ["aws:s3/bucket:Bucket", "backups"],
      ["aws:kms/key:Key", "backups-key"],
      ["aws:kms/key:Key", "database-key"],
    ])
      expect([name, find(resources, type, name).retainOnDelete]).toEqual([name, true]);
    expect(find(resources, "aws:s3/bucket:Bucket", "uploads").inputs.forceDestroy).toBe(false);
    expect(find(resources, "aws:s3/bucket:Bucket", "uploads").protect).toBe(true);
  });
});

/**
 * Which bucket holds the database backups is the stack's business, not the rules': a tag or a name
 * pattern from the policy config identifies it.
 */
import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { tryKnown } from "../../../lib/known";
import { bucketName } from "./bucket-links";

export interface BackupBucketIdentity {
  backupBucketTagKey: string;
  backupBucketTagValue: string;
  backupBucketNamePattern: string;
}

export const defaultBackupBucketIdentity: BackupBucketIdentity = {
  backupBucketTagKey: "purpose",
  backupBucketTagValue: "backups",
  backupBucketNamePattern: "(^|[-_.])backups?([-_.]|$)",
};

export const backupBucketIdentitySchema: PolicyConfigSchema["properties"] = {
  backupBucketTagKey: {
    type: "string",
    description: "Tag key that marks the backup bucket.",
    default: defaultBackupBucketIdentity.backupBucketTagKey,
  },
  backupBucketTagValue: {
    type: "string",
    description: "Value of that tag on the backup bucket.",
    default: defaultBackupBucketIdentity.backupBucketTagValue,
  },
  backupBucketNamePattern: {
    type: "string",
    description: "Regular expression matched against the bucket name and the Pulumi resource name.",
    default: defaultBackupBucketIdentity.backupBucketNamePattern,
  },
};

function hasTag(bucket: PolicyResource, key: string, value: string): boolean {
  // tagsAll carries provider default tags when the provider has already merged them into the inputs.
  return ["tags", "tagsAll"].some((property) => {
    const tags = tryKnown(() => bucket.props[property] as Record<string, unknown> | undefined);
    if (!tags.known || !tags.value) {
      return false;
    }
    const tagValue = tryKnown(() => tags.value?.[key]);
    return tagValue.known && tagValue.value === value;
  });
}

export function isBackupBucket(bucket: PolicyResource, identity: BackupBucketIdentity): boolean {
  const pattern = new RegExp(identity.backupBucketNamePattern);
  const names = [bucketName(bucket), bucket.name].filter((name): name is string => name !== undefined);
  return (
    hasTag(bucket, identity.backupBucketTagKey, identity.backupBucketTagValue) ||
    names.some((name) => pattern.test(name))
  );
}

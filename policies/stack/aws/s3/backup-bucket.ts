/**
 * Which bucket holds the database backups is what the program declares: the backups component tags
 * its bucket (components/backups/index.ts, `purpose: backups`), and the policy config may name
 * another tag. Never a name: a stack called `brk-backup` would make its uploads bucket, named after
 * the stack, look like the backup bucket and fail rules meant for backups.
 */
import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { tryKnown } from "../../../lib/known";

export interface BackupBucketIdentity {
  backupBucketTagKey: string;
  backupBucketTagValue: string;
}

export const defaultBackupBucketIdentity: BackupBucketIdentity = {
  backupBucketTagKey: "purpose",
  backupBucketTagValue: "backups",
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
  return hasTag(bucket, identity.backupBucketTagKey, identity.backupBucketTagValue);
}

/** What an Object Lock configuration's default retention must be, shared by the locked-bucket rules. */
import type { PolicyResource } from "@pulumi/policy";
import { tryKnown } from "../../../lib/known";
import { describeBucket } from "./bucket-links";

interface DefaultRetention {
  mode?: string;
  days?: number;
  years?: number;
}

/** Why `lock` (an aws.s3.BucketObjectLockConfiguration of `bucket`) keeps too little, or undefined. */
export function lockRetentionProblem(
  lock: PolicyResource,
  bucket: PolicyResource,
  minRetentionDays: number,
  allowedModes: string[],
): string | undefined {
  const retention = (lock.props["rule"] as { defaultRetention?: DefaultRetention } | undefined)
    ?.defaultRetention;
  const days = (retention?.days ?? 0) + (retention?.years ?? 0) * 365;
  const mode = tryKnown(() => retention?.mode);
  const where = `the Object Lock configuration of ${describeBucket(bucket)}`;
  if (!retention || days < minRetentionDays) {
    return `Set rule.defaultRetention of ${where} to at least ${minRetentionDays} days (it is ${days}).`;
  }
  if (mode.known && !allowedModes.includes(String(mode.value))) {
    return `Set rule.defaultRetention.mode of ${where} to ${allowedModes.join(" or ")}.`;
  }
  return undefined;
}

/**
 * In @pulumi/aws v7 a bucket's settings live in separate resources (BucketVersioning, BucketPolicy, ...)
 * whose `bucket` input is the bucket's id, unknown during a preview. A settings resource belongs to a
 * bucket when its `bucket` property was built from that bucket (property dependencies), else when its
 * known `bucket` value is the bucket's name, else when it depends on exactly that one bucket.
 */
import * as aws from "@pulumi/aws";
import type { PolicyResource } from "@pulumi/policy";
import { UnknownValueError } from "@pulumi/policy";
import { tryKnown } from "../../../lib/known";
import { builtFrom, DeferredUnknowns, ofType, type ResourceClass } from "../../graph";

export const bucketClasses: ResourceClass[] = [aws.s3.Bucket, aws.s3.BucketV2];

/** The settings resources and their deprecated *V2 aliases, which @pulumi/aws v7 still accepts. */
export const bucketSettingClasses = {
  publicAccessBlock: [aws.s3.BucketPublicAccessBlock],
  encryption: [
    aws.s3.BucketServerSideEncryptionConfiguration,
    aws.s3.BucketServerSideEncryptionConfigurationV2,
  ],
  versioning: [aws.s3.BucketVersioning, aws.s3.BucketVersioningV2],
  policy: [aws.s3.BucketPolicy],
  objectLock: [aws.s3.BucketObjectLockConfiguration, aws.s3.BucketObjectLockConfigurationV2],
  lifecycle: [aws.s3.BucketLifecycleConfiguration, aws.s3.BucketLifecycleConfigurationV2],
} satisfies Record<string, ResourceClass[]>;

export type BucketSettingKind = keyof typeof bucketSettingClasses;

/** The bucket's name when the program sets it (otherwise the provider generates one at create time). */
export function bucketName(bucket: PolicyResource): string | undefined {
  const name = tryKnown(() => bucket.props["bucket"]);
  return name.known && typeof name.value === "string" ? name.value : undefined;
}

export function describeBucket(bucket: PolicyResource): string {
  const name = bucketName(bucket);
  return `S3 bucket '${name ?? bucket.name}'`;
}

export interface LinkedBucket {
  bucket: PolicyResource;
  /** Settings resources of the requested kind attached to this bucket. */
  settings: PolicyResource[];
  /** Set when some settings resource could not be attached to any bucket because its target is unknown. */
  undetermined?: UnknownValueError;
}

/** The bucket `setting` configures; undefined for a bucket this stack does not declare. */
function targetOf(
  setting: PolicyResource,
  buckets: PolicyResource[],
): PolicyResource | undefined | UnknownValueError {
  const byProperty = buckets.filter((bucket) => builtFrom(setting, bucket, "bucket"));
  if (byProperty.length === 1) {
    return byProperty[0];
  }
  const value = tryKnown(() => setting.props["bucket"]);
  if (value.known) {
    return buckets.find((bucket) => bucketName(bucket) === value.value);
  }
  const byDependency = buckets.filter((bucket) => builtFrom(setting, bucket));
  return byDependency.length === 1 ? byDependency[0] : value.error;
}

/** Every bucket of the stack with its settings resources of one kind. */
export function linkBucketSettings(resources: PolicyResource[], kind: BucketSettingKind): LinkedBucket[] {
  const buckets = ofType(resources, ...bucketClasses);
  const settings = ofType(resources, ...bucketSettingClasses[kind]);
  const targets = settings.map((setting) => ({ setting, target: targetOf(setting, buckets) }));
  const undetermined = targets.find(({ target }) => target instanceof UnknownValueError)?.target;
  return buckets.map((bucket) => ({
    bucket,
    settings: targets.filter(({ target }) => target === bucket).map(({ setting }) => setting),
    undetermined: undetermined instanceof UnknownValueError ? undetermined : undefined,
  }));
}

export interface BucketSettingsCheck {
  kind: BucketSettingKind;
  /** Which buckets the rule covers (all by default). */
  appliesTo?: (bucket: PolicyResource) => boolean;
  /** The message when a covered bucket has no settings resource of this kind. */
  missing: (bucket: PolicyResource) => string;
  /** Checks one attached settings resource; returns a message when it is wrong. */
  check?: (setting: PolicyResource, bucket: PolicyResource) => string | undefined;
  /**
   * Accepts a bucket without its own settings resource (e.g. an account-wide public access block); an
   * unknown value means coverage cannot be decided during preview.
   */
  coveredElsewhere?: boolean | UnknownValueError;
}

/**
 * Runs a per-bucket settings check, reporting on the bucket when the settings resource is missing and on the
 * settings resource when its content is wrong. Unknown values are deferred until every bucket was checked.
 */
export function checkBucketSettings(
  resources: PolicyResource[],
  spec: BucketSettingsCheck,
  reportViolation: (message: string, urn?: string) => void,
  deferred: DeferredUnknowns,
): void {
  for (const linked of linkBucketSettings(resources, spec.kind)) {
    deferred.attempt(() => {
      if (spec.appliesTo && !spec.appliesTo(linked.bucket)) {
        return;
      }
      if (linked.settings.length === 0) {
        if (spec.coveredElsewhere === true) {
          return;
        }
        const cannotDecide =
          spec.coveredElsewhere instanceof UnknownValueError ? spec.coveredElsewhere : linked.undetermined;
        if (cannotDecide) {
          deferred.remember(cannotDecide);
          return;
        }
        reportViolation(spec.missing(linked.bucket), linked.bucket.urn);
        return;
      }
      for (const setting of linked.settings) {
        const problem = spec.check?.(setting, linked.bucket);
        if (problem) {
          reportViolation(problem, setting.urn);
        }
      }
    });
  }
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** What makes a private, encrypted, versioned bucket for patients' data. */
export interface SecureBucketArgs {
  /** The bucket's global name; stable, so a config change never replaces the bucket. */
  bucketName: pulumi.Input<string>;
  /** SSE-KMS with this customer key. */
  kmsKeyArn: pulumi.Input<string>;
  /** S3 Bucket Keys, which cut KMS calls (and need kms:Decrypt of some writers). Default true. */
  bucketKeyEnabled?: boolean;
  /** Lifecycle rules; an abort-incomplete-uploads rule is always added. */
  lifecycleRules?: aws.types.input.s3.BucketLifecycleConfigurationRule[];
  /** Object Lock default retention (the bucket is then created with Object Lock on). */
  objectLock?: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number };
  /** Browser access from these origins (the web app's uploads). */
  corsOrigins?: string[];
  provider: aws.Provider;
  parent: pulumi.Resource;
  /** `protect` the bucket (production). */
  protect?: boolean;
  /**
   * What `pulumi destroy` does with the bucket, which holds object versions (a non-empty bucket
   * cannot be deleted, and S3 keeps every version): `keep` leaves it and its settings (lock,
   * encryption, lifecycle, policy) in the account, out of the stack (retainOnDelete); `empty`
   * deletes every version with it (forceDestroy). Default: neither, a destroy stops on it.
   */
  onDestroy?: "keep" | "empty";
  /** Statements the bucket policy holds besides the TLS-only ones (a service's delivery, say). */
  policyStatements?: pulumi.Input<object>[];
  tags?: Record<string, string>;
}

/** A secure bucket and its policy (what a service that writes to it waits for). */
export interface SecureBucket {
  bucket: aws.s3.Bucket;
  policy: aws.s3.BucketPolicy;
}

/** A bucket's ARN from its name: known at preview, unlike the provider's computed `arn`. */
export function s3BucketArn(bucketName: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`arn:aws:s3:::${bucketName}`;
}

/**
 * A TLS-only policy: anything over plain HTTP, or TLS below 1.2, is denied (CIS AWS 2.1.1); `extra`
 * statements follow.
 */
export function tlsOnlyPolicy(
  bucketArn: pulumi.Input<string>,
  extra: pulumi.Input<object>[] = [],
): pulumi.Output<string> {
  const resources = [bucketArn, pulumi.interpolate`${bucketArn}/*`];
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: resources,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyOutdatedTls",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: resources,
        Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
      },
      ...extra,
    ],
  });
}

/**
 * A bucket with every guard on: Block Public Access, bucket-owner-enforced ownership (no ACLs),
 * SSE-KMS, versioning, a TLS-only policy, lifecycle, and optionally Object Lock and CORS. Each
 * setting is its own resource (the @pulumi/aws v7 way), so policies can check each one.
 */
export function secureBucket(name: string, args: SecureBucketArgs): SecureBucket {
  const child = {
    parent: args.parent,
    provider: args.provider,
    ...(args.onDestroy === "keep" ? { retainOnDelete: true } : {}),
  };
  const bucket = new aws.s3.Bucket(
    name,
    {
      bucket: args.bucketName,
      objectLockEnabled: args.objectLock ? true : undefined,
      forceDestroy: args.onDestroy === "empty",
      tags: args.tags,
    },
    { ...child, protect: args.protect },
  );
  const ref = { bucket: bucket.id };
  const guards: pulumi.Resource[] = [
    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        ...ref,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    ),
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { ...ref, rule: { objectOwnership: "BucketOwnerEnforced" } },
      child,
    ),
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        ...ref,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
            bucketKeyEnabled: args.bucketKeyEnabled ?? true,
          },
        ],
      },
      child,
    ),
  ];
  const versioning = new aws.s3.BucketVersioning(
    `${name}-versioning`,
    { ...ref, versioningConfiguration: { status: "Enabled" } },
    child,
  );
  // The ARN from the name we chose (not the provider's output), so the policy is known at preview
  // and CrossGuard can check it before anything is created.
  const arn = s3BucketArn(args.bucketName);
  const policy = new aws.s3.BucketPolicy(
    `${name}-tls-only`,
    { ...ref, policy: tlsOnlyPolicy(arn, args.policyStatements) },
    { ...child, dependsOn: guards },
  );
  new aws.s3.BucketLifecycleConfiguration(
    `${name}-lifecycle`,
    {
      ...ref,
      rules: [
        ...(args.lifecycleRules ?? []),
        {
          id: "abort-incomplete-uploads",
          status: "Enabled",
          filter: {},
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
      ],
    },
    { ...child, dependsOn: [versioning] },
  );
  if (args.objectLock) {
    new aws.s3.BucketObjectLockConfiguration(
      `${name}-object-lock`,
      {
        ...ref,
        objectLockEnabled: "Enabled",
        rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } },
      },
      { ...child, dependsOn: [versioning] },
    );
  }
  if (args.corsOrigins?.length) {
    new aws.s3.BucketCorsConfiguration(
      `${name}-cors`,
      {
        ...ref,
        corsRules: [
          {
            allowedOrigins: args.corsOrigins,
            allowedMethods: ["GET", "PUT", "POST", "HEAD"],
            allowedHeaders: ["*"],
            exposeHeaders: ["ETag"],
            maxAgeSeconds: 3000,
          },
        ],
      },
      child,
    );
  }
  return { bucket, policy };
}

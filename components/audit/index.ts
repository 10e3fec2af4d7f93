import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { secureBucket } from "../aws/bucket";
import { accountId, kmsKeyPolicy } from "../aws/kms";
import { assumeRolePolicy } from "../aws/iam";
import { encryptedLogGroup } from "../aws/logs";
import { CIS_ALARMS } from "./alarms";

// Who did what in the account: a CloudTrail trail of every region's management events (IAM is
// global) and of every read and write of the uploads and the backups, its files validated (digest
// files), encrypted with a key of their own and kept under Object Lock, and a copy in CloudWatch Logs
// whose metric filters raise the CIS AWS Foundations alarms to the on-call topic.

export interface AuditTrailArgs {
  /** `healthflow:audit` with `trail: create`. Required. */
  audit: NonNullable<Settings["audit"]>;
  namePrefix: string;
  region: string;
  /** The buckets whose objects' reads and writes are recorded (data events): uploads and backups. */
  dataBuckets: pulumi.Input<string>[];
  /** The on-call SNS topic the alarms notify. */
  alarmTopicArn: pulumi.Input<string>;
  provider: aws.Provider;
  /** Production: `protect` on the key, the bucket and the log group. Default false. */
  protect?: boolean;
}

/** The trail's own CloudTrail name (fixed: the key's and the bucket's conditions name its ARN). */
export const trailName = (namePrefix: string) => `${namePrefix}-trail`;

/** CloudTrail's metric filters' namespace. */
export const METRIC_NAMESPACE = "HealthFlow/CloudTrail";

export class AuditTrail extends pulumi.ComponentResource {
  readonly trail: aws.cloudtrail.Trail;
  readonly bucket: aws.s3.Bucket;

  constructor(name: string, args: AuditTrailArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:audit:AuditTrail", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const kept = { ...child, protect: args.protect };
    const account = accountId(args.provider);
    const trailArn = pulumi.interpolate`arn:aws:cloudtrail:${args.region}:${account}:trail/${trailName(args.namePrefix)}`;

    const key = new aws.kms.Key(
      "trail-key",
      {
        description: `${args.namePrefix} CloudTrail log files`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: kmsKeyPolicy(args.provider, undefined, trailKeyStatements(account, trailArn)),
      },
      // The locked log files outlive the stack; so must the key that decrypts them.
      { ...kept, retainOnDelete: true },
    );
    const bucketName = pulumi.interpolate`${args.namePrefix}-trail-${account}`;
    const { bucket, policy } = secureBucket("trail", {
      bucketName,
      kmsKeyArn: key.arn,
      // No S3 Bucket Key: with one, CloudTrail also needs kms:Decrypt on the key to create the trail
      // ("Configure AWS KMS key policies for CloudTrail"); a trail writes a few files an hour.
      bucketKeyEnabled: false,
      objectLock: { mode: args.audit.lockMode, days: args.audit.retentionDays },
      lifecycleRules: [
        {
          id: "expire-after-retention",
          status: "Enabled",
          filter: {},
          expiration: { days: args.audit.retentionDays },
          noncurrentVersionExpiration: { noncurrentDays: 1 },
        },
      ],
      policyStatements: trailBucketStatements(bucketName, account, trailArn),
      onDestroy: "keep",
      provider: args.provider,
      parent: this,
      protect: args.protect,
      tags: { purpose: "audit-trail" },
    });
    this.bucket = bucket;

    const logs = encryptedLogGroup("trail", {
      description: `${args.namePrefix} CloudTrail`,
      name: `/healthflow/${args.namePrefix}/cloudtrail`,
      retentionDays: args.audit.logRetentionDays,
      region: args.region,
      provider: args.provider,
      parent: this,
      protect: args.protect,
    });
    const role = new aws.iam.Role(
      "trail-logs-role",
      {
        description: `CloudTrail of ${args.namePrefix} writing to its log group`,
        // No aws:SourceArn condition here: "The role policy doesn't support the use of aws:SourceArn
        // and aws:SourceAccount" (CloudTrail user guide, "Role policy document for CloudTrail to use
        // CloudWatch Logs"); with one, CreateTrail fails InvalidCloudWatchLogsRoleArnException.
        assumeRolePolicy: assumeRolePolicy({ Service: "cloudtrail.amazonaws.com" }),
      },
      child,
    );
    const write = new aws.iam.RolePolicy(
      "trail-logs-write",
      {
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: pulumi.interpolate`${logs.arn}:log-stream:*`,
            },
          ],
        }),
      },
      child,
    );

    this.trail = new aws.cloudtrail.Trail(
      "trail",
      {
        name: trailName(args.namePrefix),
        s3BucketName: bucket.bucket,
        isMultiRegionTrail: true,
        includeGlobalServiceEvents: true,
        enableLogFileValidation: true,
        kmsKeyId: key.arn,
        cloudWatchLogsGroupArn: pulumi.interpolate`${logs.arn}:*`,
        cloudWatchLogsRoleArn: role.arn,
        advancedEventSelectors: [
          { name: "Management events", fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
          {
            name: "Reads and writes of uploads and backups",
            fieldSelectors: [
              { field: "eventCategory", equals: ["Data"] },
              { field: "resources.type", equals: ["AWS::S3::Object"] },
              {
                field: "resources.ARN",
                startsWiths: args.dataBuckets.map((b) => pulumi.interpolate`arn:aws:s3:::${b}/`),
              },
            ],
          },
        ],
      },
      // CloudTrail checks its bucket's policy, its key and its role when the trail is created.
      { ...kept, dependsOn: [policy, write] },
    );

    for (const alarm of CIS_ALARMS) {
      const filter = new aws.cloudwatch.LogMetricFilter(
        `cis-${alarm.id}`,
        {
          name: `${args.namePrefix}-${alarm.id}`,
          logGroupName: logs.name,
          pattern: alarm.pattern,
          metricTransformation: { name: alarm.id, namespace: METRIC_NAMESPACE, value: "1" },
        },
        child,
      );
      new aws.cloudwatch.MetricAlarm(
        `cis-${alarm.id}`,
        {
          name: `${args.namePrefix}-${alarm.id}`,
          alarmDescription: `${alarm.title} (CIS AWS Foundations ${alarm.control}): see the trail's log group`,
          namespace: METRIC_NAMESPACE,
          metricName: alarm.id,
          statistic: "Sum",
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          alarmActions: [args.alarmTopicArn],
        },
        { ...child, dependsOn: [filter] },
      );
    }
    this.registerOutputs({ trail: this.trail.arn, bucket: bucket.bucket });
  }
}

/**
 * What CloudTrail needs of its key (CloudTrail user guide, "Configure AWS KMS key policies for
 * CloudTrail"): encrypt for this trail only, and describe the key.
 */
function trailKeyStatements(account: pulumi.Output<string>, trailArn: pulumi.Output<string>): object[] {
  return [
    {
      Sid: "CloudTrailEncryptsThisTrail",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:GenerateDataKey*",
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceArn": trailArn },
        StringLike: {
          "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.interpolate`arn:aws:cloudtrail:*:${account}:trail/*`,
        },
      },
    },
    {
      Sid: "CloudTrailDescribesKey",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:DescribeKey",
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceArn": trailArn } },
    },
  ];
}

/**
 * What CloudTrail needs of its bucket (CloudTrail user guide, "Amazon S3 bucket policy for
 * CloudTrail"): read the ACL and write under AWSLogs/<account>/, for this trail only.
 */
function trailBucketStatements(
  bucketName: pulumi.Output<string>,
  account: pulumi.Output<string>,
  trailArn: pulumi.Output<string>,
): object[] {
  return [
    {
      Sid: "AWSCloudTrailAclCheck",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:GetBucketAcl",
      Resource: pulumi.interpolate`arn:aws:s3:::${bucketName}`,
      Condition: { StringEquals: { "aws:SourceArn": trailArn } },
    },
    {
      Sid: "AWSCloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: pulumi.interpolate`arn:aws:s3:::${bucketName}/AWSLogs/${account}/*`,
      Condition: {
        StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn },
      },
    },
  ];
}

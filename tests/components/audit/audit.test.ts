/**
 * The audit trail (issue 30, point 3): CloudTrail of every region with validated, encrypted, locked
 * log files, the reads and writes of the uploads and the backups, and the CIS alarms to the on-call
 * topic. The metric filters are read by tests/harness/filterPattern.ts, a hand-written stand-in for
 * CloudWatch Logs (no tool evaluates filter patterns offline), against events shaped as CloudTrail
 * records them (CloudTrail user guide, "CloudTrail record contents").
 */
import { find, ofType, runProgram, type RegisteredResource } from "../../harness";
import { knownRun, plannedRun } from "../../harness/plans";
import { matchesFilter } from "../../harness/filterPattern";
import { readStackConfig } from "../../../tools/engine/stackConfig";

const config = (stack: string, key: string) => JSON.parse(readStackConfig(stack).config[`healthflow:${key}`]);

describe.each([
  ["staging", "GOVERNANCE"],
  ["production", "COMPLIANCE"],
])("the audit trail of %s", (stack, lockMode) => {
  let resources: RegisteredResource[];
  beforeAll(() => {
    resources = plannedRun(stack).resources;
  });
  const trail = () => find(resources, "aws:cloudtrail/trail:Trail", "trail");

  test("records every region, global services included, with validated files under a key of its own", () => {
    expect(trail().inputs).toMatchObject({
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
    });
    expect(trail().propertyDependencies.kmsKeyId).toEqual([
      find(resources, "aws:kms/key:Key", "trail-key").urn,
    ]);
    // Events also reach CloudWatch Logs (the alarms' filters), through a role CloudTrail assumes.
    expect(trail().propertyDependencies.cloudWatchLogsGroupArn).toEqual([
      find(resources, "aws:cloudwatch/logGroup:LogGroup", "trail-logs").urn,
    ]);
    expect(trail().protect).toBe(stack === "production");
  });

  test("records every read and write of the uploads and the backups, and every management event", () => {
    const known = find(knownRun(stack).resources, "aws:cloudtrail/trail:Trail", "trail").inputs as any;
    const selectors = known.advancedEventSelectors as { fieldSelectors: any[] }[];
    const management = selectors.filter((s) =>
      s.fieldSelectors.some((f) => f.field === "eventCategory" && f.equals?.includes("Management")),
    );
    expect(management).toHaveLength(1);
    // No readOnly selector: reads and writes alike.
    expect(JSON.stringify(selectors)).not.toContain("readOnly");
    const data = selectors.find((s) => s.fieldSelectors.some((f) => f.equals?.includes("Data")))!;
    const arns = data.fieldSelectors.find((f) => f.field === "resources.ARN").startsWiths as string[];
    const bucketNames = ["uploads", "backups"].map(
      (name) => find(knownRun(stack).resources, "aws:s3/bucket:Bucket", name).inputs.bucket,
    );
    expect([...arns].sort()).toEqual(bucketNames.map((b) => `arn:aws:s3:::${b}/`).sort());
    expect(data.fieldSelectors.find((f) => f.field === "resources.type").equals).toEqual(["AWS::S3::Object"]);
  });

  test(`its files are locked (${lockMode}) at least as long as the backups are kept, and outlive the stack`, () => {
    const bucket = find(resources, "aws:s3/bucket:Bucket", "trail");
    const lock = ofType(resources, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").find(
      (r) => r.propertyDependencies.bucket?.includes(bucket.urn),
    )!;
    const retention = (lock.inputs as any).rule.defaultRetention;
    expect(retention.mode).toBe(lockMode);
    expect(retention.days).toBeGreaterThanOrEqual(config(stack, "backups").retentionDays);
    expect([bucket.retainOnDelete, find(resources, "aws:kms/key:Key", "trail-key").retainOnDelete]).toEqual([
      true,
      true,
    ]);
  });

  test("CloudTrail can create the trail: no S3 Bucket Key (it would need kms:Decrypt), no condition on its logs role", () => {
    // CloudTrail user guide: "If you are using an existing S3 bucket with an S3 Bucket Key, kms:Decrypt
    // permissions are required to create or update a trail with SSE-KMS"; and the CloudWatch Logs role
    // "doesn't support the use of aws:SourceArn and aws:SourceAccount".
    const bucket = find(resources, "aws:s3/bucket:Bucket", "trail");
    const encryption = ofType(
      resources,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    ).find((r) => r.propertyDependencies.bucket?.includes(bucket.urn))!;
    expect((encryption.inputs as any).rules[0].bucketKeyEnabled).toBe(false);
    const trust = JSON.parse(
      (find(resources, "aws:iam/role:Role", "trail-logs-role").inputs as any).assumeRolePolicy,
    );
    expect(trust.Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: ["sts:AssumeRole"] },
    ]);
  });

  test("only this trail may write to its bucket and use its key (aws:SourceArn, as the CloudTrail guide asks)", () => {
    const known = knownRun(stack).resources;
    const arn = `arn:aws:cloudtrail:sa-east-1:111122223333:trail/healthflow-${stack}-trail`;
    const bucketPolicy = JSON.parse(
      (find(known, "aws:s3/bucketPolicy:BucketPolicy", "trail-tls-only").inputs as any).policy,
    );
    const cloudtrail = bucketPolicy.Statement.filter(
      (s: any) => s.Principal?.Service === "cloudtrail.amazonaws.com",
    );
    expect(cloudtrail.map((s: any) => s.Action).sort()).toEqual(["s3:GetBucketAcl", "s3:PutObject"]);
    for (const s of cloudtrail) expect(s.Condition.StringEquals["aws:SourceArn"]).toBe(arn);
    // And the TLS-only denials stay in the same policy.
    expect(
      bucketPolicy.Statement.some(
        (s: any) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false",
      ),
    ).toBe(true);
    const keyPolicy = JSON.parse((find(known, "aws:kms/key:Key", "trail-key").inputs as any).policy);
    const encrypt = keyPolicy.Statement.find((s: any) => s.Action === "kms:GenerateDataKey*");
    expect(encrypt.Condition.StringEquals["aws:SourceArn"]).toBe(arn);
  });

  test("twelve CIS alarms watch the trail's log group and notify the on-call topic", () => {
    // The trail's filters (the restore drill's read the apps' log group: containerLogs.test.ts).
    const filters = ofType(resources, "aws:cloudwatch/logMetricFilter:LogMetricFilter").filter(
      (f) => !f.name.startsWith("restore-drill-"),
    );
    const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) =>
      a.name.startsWith("cis-"),
    );
    expect([filters.length, alarms.length]).toEqual([12, 12]);
    const group = find(resources, "aws:cloudwatch/logGroup:LogGroup", "trail-logs");
    const topic = find(resources, "aws:sns/topic:Topic", "alarms");
    for (const f of filters) expect(f.propertyDependencies.logGroupName).toEqual([group.urn]);
    for (const a of alarms) {
      expect(a.inputs).toMatchObject({ threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold" });
      expect(a.propertyDependencies.alarmActions).toEqual([topic.urn]);
    }
  });
});

describe("the CIS filters, read as CloudWatch Logs reads them (hand-written reader)", () => {
  const patterns = () =>
    Object.fromEntries(
      ofType(plannedRun("production").resources, "aws:cloudwatch/logMetricFilter:LogMetricFilter").map(
        (f) => [(f.inputs as any).metricTransformation.name, (f.inputs as any).pattern as string],
      ),
    );
  const event = (fields: Record<string, unknown>) => ({
    eventVersion: "1.09",
    userIdentity: {
      type: "AssumedRole",
      arn: "arn:aws:sts::111122223333:assumed-role/healthflow-platform-admin/x",
    },
    eventSource: "ec2.amazonaws.com",
    awsRegion: "sa-east-1",
    eventType: "AwsApiCall",
    ...fields,
  });

  test.each([
    [
      "root-usage",
      event({ userIdentity: { type: "Root" }, eventName: "ConsoleLogin" }),
      event({ eventName: "ConsoleLogin" }),
    ],
    [
      "unauthorized-api-calls",
      event({ eventName: "GetObject", errorCode: "AccessDenied" }),
      event({ eventName: "GetObject" }),
    ],
    [
      "console-sign-in-without-mfa",
      event({
        eventName: "ConsoleLogin",
        userIdentity: { type: "IAMUser" },
        additionalEventData: { MFAUsed: "No" },
        responseElements: { ConsoleLogin: "Success" },
      }),
      event({
        eventName: "ConsoleLogin",
        userIdentity: { type: "IAMUser" },
        additionalEventData: { MFAUsed: "Yes" },
        responseElements: { ConsoleLogin: "Success" },
      }),
    ],
    [
      "iam-policy-changes",
      event({ eventSource: "iam.amazonaws.com", eventName: "AttachRolePolicy" }),
      event({ eventSource: "iam.amazonaws.com", eventName: "GetRolePolicy" }),
    ],
    [
      "cloudtrail-changes",
      event({ eventSource: "cloudtrail.amazonaws.com", eventName: "StopLogging" }),
      event({ eventSource: "cloudtrail.amazonaws.com", eventName: "DescribeTrails" }),
    ],
    [
      "kms-key-disabled-or-deleted",
      event({ eventSource: "kms.amazonaws.com", eventName: "ScheduleKeyDeletion" }),
      event({ eventSource: "kms.amazonaws.com", eventName: "Decrypt" }),
    ],
    [
      "s3-bucket-policy-changes",
      event({ eventSource: "s3.amazonaws.com", eventName: "PutBucketPolicy" }),
      event({ eventSource: "s3.amazonaws.com", eventName: "GetBucketPolicy" }),
    ],
    [
      "security-group-changes",
      event({ eventName: "AuthorizeSecurityGroupIngress" }),
      event({ eventName: "DescribeSecurityGroups" }),
    ],
    [
      "nacl-changes",
      event({ eventName: "ReplaceNetworkAclEntry" }),
      event({ eventName: "DescribeNetworkAcls" }),
    ],
    [
      "network-gateway-changes",
      event({ eventName: "DetachInternetGateway" }),
      event({ eventName: "DescribeInternetGateways" }),
    ],
    ["route-table-changes", event({ eventName: "CreateRoute" }), event({ eventName: "DescribeRouteTables" })],
    ["vpc-changes", event({ eventName: "ModifyVpcAttribute" }), event({ eventName: "DescribeVpcs" })],
  ])("%s: its event raises it, a harmless one does not", (id, raises, harmless) => {
    const pattern = patterns()[id];
    expect(pattern).toBeDefined();
    expect([id, matchesFilter(pattern, raises), matchesFilter(pattern, harmless)]).toEqual([id, true, false]);
  });

  test("an AWS service acting as root (invokedBy) and a root service event raise no root alarm", () => {
    const root = patterns()["root-usage"];
    expect(
      matchesFilter(root, event({ userIdentity: { type: "Root", invokedBy: "support.amazonaws.com" } })),
    ).toBe(false);
    expect(matchesFilter(root, event({ userIdentity: { type: "Root" }, eventType: "AwsServiceEvent" }))).toBe(
      false,
    );
  });
});

describe("where an organization trail records the account", () => {
  test("the stack creates no trail, bucket or CIS alarm of its own", async () => {
    const run = await runProgram("staging", {
      overrides: { "healthflow:audit": { ...config("staging", "audit"), trail: "organization" } },
    });
    expect(
      run.resources.filter(
        (r) =>
          /cloudtrail/.test(r.type) ||
          (/logMetricFilter/.test(r.type) && !r.name.startsWith("restore-drill-")) ||
          r.name === "trail",
      ),
    ).toEqual([]);
  });
});

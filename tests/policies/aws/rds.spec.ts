import * as aws from "@pulumi/aws";
import { rdsInstanceBackupRetention } from "../../../policies/aws/rds/instance-backup-retention";
import { rdsInstanceDeletionProtection } from "../../../policies/aws/rds/instance-deletion-protection";
import { rdsInstanceMultiAz } from "../../../policies/aws/rds/instance-multi-az";
import { rdsInstanceNotPubliclyAccessible } from "../../../policies/aws/rds/instance-not-publicly-accessible";
import { rdsInstanceStorageEncrypted } from "../../../policies/aws/rds/instance-storage-encrypted";
import { rdsParameterGroupNoParameterLogging } from "../../../policies/aws/rds/parameter-group-no-parameter-logging";
import { expectLevelFromConfig, resource, runRule, secret, UNKNOWN } from "../fixtures";

/** The production primary: PostgreSQL 16, encrypted, private, Multi-AZ, protected. */
const primary = (overrides: Record<string, unknown> = {}) =>
  resource(aws.rds.Instance, "postgres", {
    identifier: "healthflow-production",
    engine: "postgres",
    engineVersion: "16.4",
    instanceClass: "db.r6g.large",
    username: "healthflow",
    password: secret("generated-password"),
    storageEncrypted: true,
    kmsKeyId: UNKNOWN,
    publiclyAccessible: false,
    backupRetentionPeriod: 14,
    deletionProtection: true,
    multiAz: true,
    ...overrides,
  });

const replica = (overrides: Record<string, unknown> = {}) =>
  resource(aws.rds.Instance, "postgres-replica", {
    identifier: "healthflow-production-replica",
    instanceClass: "db.r6g.large",
    replicateSourceDb: UNKNOWN,
    publiclyAccessible: false,
    deletionProtection: true,
    ...overrides,
  });

describe("aws-rds-instance-storage-encrypted", () => {
  it("accepts an encrypted primary and a replica that inherits encryption", async () => {
    expect((await runRule(rdsInstanceStorageEncrypted, [primary(), replica()])).violations).toEqual([]);
  });

  it("refuses unencrypted storage", async () => {
    const { messages } = await runRule(rdsInstanceStorageEncrypted, [
      primary({ storageEncrypted: undefined }),
    ]);
    expect(messages).toEqual(["Set storageEncrypted: true on RDS instance 'healthflow-production'."]);
  });

  it("refuses a replica explicitly unencrypted", async () => {
    expect(
      (await runRule(rdsInstanceStorageEncrypted, [replica({ storageEncrypted: false })])).violations,
    ).toHaveLength(1);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(rdsInstanceStorageEncrypted, [primary({ storageEncrypted: false })]);
  });
});

describe("aws-rds-instance-not-publicly-accessible", () => {
  it("accepts a private instance", async () => {
    expect((await runRule(rdsInstanceNotPubliclyAccessible, [primary()])).violations).toEqual([]);
  });

  it("refuses a publicly accessible instance", async () => {
    const { messages } = await runRule(rdsInstanceNotPubliclyAccessible, [
      primary({ publiclyAccessible: true }),
    ]);
    expect(messages).toEqual(["Set publiclyAccessible: false on RDS instance 'healthflow-production'."]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(rdsInstanceNotPubliclyAccessible, [primary({ publiclyAccessible: true })]);
  });
});

describe("aws-rds-instance-backup-retention", () => {
  it("accepts 14 days against the default minimum of 7 and skips replicas", async () => {
    expect((await runRule(rdsInstanceBackupRetention, [primary(), replica()])).violations).toEqual([]);
  });

  it("refuses a primary without automated backups", async () => {
    const { messages } = await runRule(rdsInstanceBackupRetention, [
      primary({ backupRetentionPeriod: undefined }),
    ]);
    expect(messages).toEqual([
      "Set backupRetentionPeriod on RDS instance 'healthflow-production' to at least 7 days (it is unset).",
    ]);
  });

  it("uses the stack's configured minimum", async () => {
    const resources = [primary({ backupRetentionPeriod: 14 })];
    const { messages } = await runRule(rdsInstanceBackupRetention, resources, { minBackupRetentionDays: 30 });
    expect(messages).toEqual([
      "Set backupRetentionPeriod on RDS instance 'healthflow-production' to at least 30 days (it is 14).",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(rdsInstanceBackupRetention, [primary({ backupRetentionPeriod: 1 })]);
  });
});

describe("aws-rds-instance-deletion-protection", () => {
  it("accepts a protected instance", async () => {
    expect((await runRule(rdsInstanceDeletionProtection, [primary(), replica()])).violations).toEqual([]);
  });

  it("refuses an unprotected instance", async () => {
    const { messages } = await runRule(rdsInstanceDeletionProtection, [
      primary({ deletionProtection: false }),
    ]);
    expect(messages).toEqual(["Set deletionProtection: true on RDS instance 'healthflow-production'."]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(rdsInstanceDeletionProtection, [primary({ deletionProtection: undefined })]);
  });
});

describe("aws-rds-instance-multi-az", () => {
  it("accepts a Multi-AZ primary and does not ask it of replicas", async () => {
    expect((await runRule(rdsInstanceMultiAz, [primary(), replica()])).violations).toEqual([]);
  });

  it("refuses a single-AZ primary", async () => {
    const { messages } = await runRule(rdsInstanceMultiAz, [primary({ multiAz: false })]);
    expect(messages).toEqual(["Set multiAz: true on RDS instance 'healthflow-production'."]);
  });

  it("is silenced where the stack's config disables it (staging runs single-AZ)", async () => {
    await expectLevelFromConfig(rdsInstanceMultiAz, [primary({ multiAz: false })]);
  });
});

describe("aws-rds-parameter-group-no-parameter-logging", () => {
  const group = (parameters: { name: string; value: string }[], family = "postgres16") =>
    resource(aws.rds.ParameterGroup, "postgres16", { family, parameters });
  const zeroed = [
    { name: "log_min_duration_statement", value: "1000" },
    { name: "log_parameter_max_length", value: "0" },
    { name: "log_parameter_max_length_on_error", value: "0" },
  ];

  it("accepts a group that logs slow statements without their parameters", async () => {
    expect((await runRule(rdsParameterGroupNoParameterLogging, [group(zeroed)])).violations).toEqual([]);
  });

  it("refuses PostgreSQL's defaults (-1: parameters in full), and says which settings to add", async () => {
    const { messages } = await runRule(rdsParameterGroupNoParameterLogging, [
      group([{ name: "log_min_duration_statement", value: "1000" }]),
    ]);
    expect(messages).toEqual([
      "Set log_parameter_max_length = 0, log_parameter_max_length_on_error = 0 in parameter group 'postgres16': PostgreSQL logs a statement's parameters, the patients' values, in full by default.",
    ]);
    const truncated = await runRule(rdsParameterGroupNoParameterLogging, [
      group([...zeroed.slice(0, 2), { name: "log_parameter_max_length_on_error", value: "64" }]),
    ]);
    expect(truncated.messages[0]).toMatch(/^Set log_parameter_max_length_on_error = 0 in/);
  });

  it("refuses pgaudit logging parameters, however it is spelled", async () => {
    for (const value of ["1", "on", "TRUE"]) {
      const { messages } = await runRule(rdsParameterGroupNoParameterLogging, [
        group([...zeroed, { name: "pgaudit.log_parameter", value }]),
      ]);
      expect([value, messages[0]]).toEqual([
        value,
        expect.stringMatching(/^Set pgaudit\.log_parameter = 0 in/),
      ]);
    }
    expect(
      (
        await runRule(rdsParameterGroupNoParameterLogging, [
          group([...zeroed, { name: "pgaudit.log_parameter", value: "0" }]),
        ])
      ).violations,
    ).toEqual([]);
  });

  it("leaves other engines' groups alone", async () => {
    expect((await runRule(rdsParameterGroupNoParameterLogging, [group([], "mysql8.0")])).violations).toEqual(
      [],
    );
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(rdsParameterGroupNoParameterLogging, [group([])]);
  });
});

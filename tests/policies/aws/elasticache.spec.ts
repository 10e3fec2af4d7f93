import * as aws from "@pulumi/aws";
import { elasticacheReplicationGroupAuthToken } from "../../../policies/aws/elasticache/replication-group-auth-token";
import { elasticacheReplicationGroupAutomaticFailover } from "../../../policies/aws/elasticache/replication-group-automatic-failover";
import { elasticacheReplicationGroupEncryption } from "../../../policies/aws/elasticache/replication-group-encryption";
import { expectLevelFromConfig, resource, runRule, secret, UNKNOWN } from "../fixtures";

const redis = (overrides: Record<string, unknown> = {}) =>
  resource(aws.elasticache.ReplicationGroup, "redis", {
    replicationGroupId: "healthflow-production",
    description: "sessions and queues",
    engine: "redis",
    nodeType: "cache.r7g.large",
    numCacheClusters: 2,
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    atRestEncryptionEnabled: true,
    transitEncryptionEnabled: true,
    // A generated password is unknown during preview and marked secret.
    authToken: secret(UNKNOWN),
    ...overrides,
  });

describe("aws-elasticache-replication-group-encryption", () => {
  it("accepts encryption at rest and in transit", async () => {
    expect((await runRule(elasticacheReplicationGroupEncryption, [redis()])).violations).toEqual([]);
  });

  it("names each missing encryption", async () => {
    const resources = [redis({ atRestEncryptionEnabled: undefined, transitEncryptionEnabled: false })];
    expect((await runRule(elasticacheReplicationGroupEncryption, resources)).messages).toEqual([
      "Set atRestEncryptionEnabled: true on ElastiCache replication group 'healthflow-production'.",
      "Set transitEncryptionEnabled: true on ElastiCache replication group 'healthflow-production'.",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(elasticacheReplicationGroupEncryption, [
      redis({ atRestEncryptionEnabled: false }),
    ]);
  });
});

describe("aws-elasticache-replication-group-auth-token", () => {
  it("accepts a token that is a secret unknown until deployment", async () => {
    const run = await runRule(elasticacheReplicationGroupAuthToken, [redis()]);
    expect(run.violations).toEqual([]);
    expect(run.notEvaluated).toEqual([]);
  });

  it("accepts RBAC user groups instead of a token", async () => {
    const resources = [redis({ authToken: undefined, userGroupIds: ["healthflow-users"] })];
    expect((await runRule(elasticacheReplicationGroupAuthToken, resources)).violations).toEqual([]);
  });

  it.each([[[]], [null]])(
    "refuses user groups known to be none (%j) without a token",
    async (userGroupIds) => {
      const resources = [redis({ authToken: undefined, userGroupIds })];
      expect((await runRule(elasticacheReplicationGroupAuthToken, resources)).messages).toEqual([
        "Set authToken (a generated secret) or userGroupIds on ElastiCache replication group 'healthflow-production'.",
      ]);
    },
  );

  it("refuses a group anyone in the VPC can use", async () => {
    const { messages } = await runRule(elasticacheReplicationGroupAuthToken, [
      redis({ authToken: undefined }),
    ]);
    expect(messages).toEqual([
      "Set authToken (a generated secret) or userGroupIds on ElastiCache replication group 'healthflow-production'.",
    ]);
  });

  it("reads a known secret token and refuses one ElastiCache would reject", async () => {
    const resources = [redis({ authToken: secret("short") })];
    expect((await runRule(elasticacheReplicationGroupAuthToken, resources)).messages).toEqual([
      "Use an authToken of at least 16 characters on ElastiCache replication group 'healthflow-production'.",
    ]);
    const long = [redis({ authToken: secret("a-generated-token-of-32-characters") })];
    expect((await runRule(elasticacheReplicationGroupAuthToken, long)).violations).toEqual([]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(elasticacheReplicationGroupAuthToken, [redis({ authToken: undefined })]);
  });
});

describe("aws-elasticache-replication-group-automatic-failover", () => {
  it("accepts two nodes across AZs with automatic failover", async () => {
    expect((await runRule(elasticacheReplicationGroupAutomaticFailover, [redis()])).violations).toEqual([]);
  });

  it("refuses a single node without failover", async () => {
    const resources = [
      redis({ numCacheClusters: 1, automaticFailoverEnabled: false, multiAzEnabled: false }),
    ];
    expect((await runRule(elasticacheReplicationGroupAutomaticFailover, resources)).messages).toEqual([
      "Set automaticFailoverEnabled: true on ElastiCache replication group 'healthflow-production'.",
      "Give ElastiCache replication group 'healthflow-production' at least one replica (numCacheClusters >= 2) so it has something to fail over to.",
      "Set multiAzEnabled: true on ElastiCache replication group 'healthflow-production'.",
    ]);
  });

  // Cluster mode sizes each shard as a primary and replicasPerNodeGroup replicas (no numCacheClusters).
  it.each([
    [1, []],
    [
      0,
      [
        "Give ElastiCache replication group 'healthflow-production' at least one replica (numCacheClusters >= 2) so it has something to fail over to.",
      ],
    ],
  ])("a cluster-mode group with %p replicas per shard: %j", async (replicasPerNodeGroup, expected) => {
    const resources = [redis({ numCacheClusters: undefined, replicasPerNodeGroup })];
    expect((await runRule(elasticacheReplicationGroupAutomaticFailover, resources)).messages).toEqual(
      expected,
    );
  });

  it("only requires Multi-AZ when configured to", async () => {
    const resources = [redis({ multiAzEnabled: false })];
    expect((await runRule(elasticacheReplicationGroupAutomaticFailover, resources)).violations).toHaveLength(
      1,
    );
    const relaxed = await runRule(elasticacheReplicationGroupAutomaticFailover, resources, {
      requireMultiAz: false,
    });
    expect(relaxed.violations).toEqual([]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(elasticacheReplicationGroupAutomaticFailover, [
      redis({ automaticFailoverEnabled: false }),
    ]);
  });
});

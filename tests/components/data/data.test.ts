import { find, isSecret, ofType, runProgram, type ProgramRun } from "../../harness";
import { knownRun, plannedRun } from "../../harness/plans";
import { PROJECT_ROOT, readStackConfig } from "../../../tools/engine/stackConfig";
import { replicaAddress } from "../../../components/data/connection";
import * as path from "path";

const config = (stack: string, key: string) => JSON.parse(readStackConfig(stack).config[`healthflow:${key}`]);

describe.each([
  ["staging", { multiAz: false, replicas: 0, failover: false, protect: false }],
  ["production", { multiAz: true, replicas: 1, failover: true, protect: true }],
])("the data layer of %s", (stack, expected) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const inputs = (type: string, name: string) =>
    find(run.resources, type, name).inputs as Record<string, any>;
  const db = () => find(run.resources, "aws:rds/instance:Instance", "postgres");
  /** The stack with a bigger database in its stack file (class, storage and its ceiling), run once. */
  const bigger = () => ({
    ...config(stack, "database"),
    instanceClass: "db.r7g.xlarge",
    allocatedStorageGiB: 800,
    maxAllocatedStorageGiB: 4000,
  });
  let resizedRun: Promise<ProgramRun> | undefined;
  const resized = () =>
    (resizedRun ??= runProgram(stack, { overrides: { "healthflow:database": bigger() } }));

  test("PostgreSQL 16: encrypted gp3 with autoscaling, private, IAM auth, insights, logs, backups from settings", () => {
    const db = inputs("aws:rds/instance:Instance", "postgres");
    const settings = config(stack, "database");
    expect(db).toMatchObject({
      identifier: `healthflow-${stack}-postgres`,
      engine: "postgres",
      engineVersion: settings.engineVersion,
      instanceClass: settings.instanceClass,
      storageType: "gp3",
      allocatedStorage: settings.allocatedStorageGiB,
      maxAllocatedStorage: settings.maxAllocatedStorageGiB,
      storageEncrypted: true,
      publiclyAccessible: false,
      iamDatabaseAuthenticationEnabled: true,
      performanceInsightsEnabled: true,
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
      backupRetentionPeriod: settings.backupRetentionDays,
      copyTagsToSnapshot: true,
      skipFinalSnapshot: false,
      multiAz: expected.multiAz,
      deletionProtection: expected.protect,
    });
    // Storage and Performance Insights under the database's own customer-managed key.
    const databaseKey = find(run.resources, "aws:kms/key:Key", "database-key").urn;
    const deps = find(run.resources, "aws:rds/instance:Instance", "postgres").propertyDependencies;
    expect([deps.kmsKeyId, deps.performanceInsightsKmsKeyId]).toEqual([[databaseKey], [databaseKey]]);
    const password = find(
      run.resources,
      "random:index/randomPassword:RandomPassword",
      "database-password",
    ).urn;
    expect(
      find(run.resources, "aws:rds/instance:Instance", "postgres").propertyDependencies.password,
    ).toEqual([password]);
  });

  test("the parameter group forces TLS", () => {
    const params = inputs("aws:rds/parameterGroup:ParameterGroup", "postgres16").parameters as {
      name: string;
      value: string;
    }[];
    expect(params).toContainEqual(expect.objectContaining({ name: "rds.force_ssl", value: "1" }));
  });

  test(`read replicas: ${expected.replicas}`, () => {
    const replicas = ofType(run.resources, "aws:rds/instance:Instance").filter((r) =>
      r.name.startsWith("postgres-replica-"),
    );
    expect(replicas).toHaveLength(expected.replicas);
    for (const r of replicas)
      expect(r.propertyDependencies.replicateSourceDb).toEqual([
        find(run.resources, "aws:rds/instance:Instance", "postgres").urn,
      ]);
  });

  test("sizes live in the stack file and never touch the identifiers (no replacement)", async () => {
    const before = inputs("aws:rds/instance:Instance", "postgres");
    const after = find((await resized()).resources, "aws:rds/instance:Instance", "postgres").inputs as Record<
      string,
      any
    >;
    expect(after.instanceClass).toBe("db.r7g.xlarge");
    for (const key of ["identifier", "dbName", "username", "engine", "kmsKeyId", "dbSubnetGroupName"]) {
      expect([key, after[key]]).toEqual([key, before[key]]);
    }
  });

  test("replicas inherit encryption (RDS refuses a KMS key for a same-region replica)", () => {
    for (const r of ofType(run.resources, "aws:rds/instance:Instance").filter((r) =>
      r.name.startsWith("postgres-replica-"),
    )) {
      expect([r.inputs.kmsKeyId, r.inputs.storageEncrypted]).toEqual([undefined, undefined]);
    }
  });

  test("PostgreSQL logs go to groups made first, with retention from settings", () => {
    const groups = ofType(run.resources, "aws:cloudwatch/logGroup:LogGroup").filter((g) =>
      String(g.inputs.name).startsWith("/aws/rds/instance/"),
    );
    expect(groups).toHaveLength(2 * (1 + expected.replicas));
    for (const g of groups) expect(g.inputs.retentionInDays).toBe(config(stack, "database").logRetentionDays);
    expect(find(run.resources, "aws:rds/instance:Instance", "postgres").dependencies).toEqual(
      expect.arrayContaining(groups.map((g) => g.urn)),
    );
  });

  test("the cache never evicts Bull's keys (maxmemory-policy noeviction)", () => {
    const params = inputs("aws:elasticache/parameterGroup:ParameterGroup", "cache-params");
    expect(params.family).toBe(
      `${config(stack, "cache").engine}${config(stack, "cache").engineVersion.split(".")[0]}`,
    );
    expect(params.parameters).toEqual([{ name: "maxmemory-policy", value: "noeviction" }]);
  });

  test("the cache: encrypted at rest and in transit, AUTH, failover per stack", () => {
    const cache = inputs("aws:elasticache/replicationGroup:ReplicationGroup", "cache");
    const settings = config(stack, "cache");
    expect(cache).toMatchObject({
      engine: settings.engine,
      numCacheClusters: settings.nodes,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: "required",
      automaticFailoverEnabled: expected.failover,
      multiAzEnabled: expected.failover,
      snapshotRetentionLimit: settings.snapshotRetentionDays,
    });
    // At rest under the cache's own customer-managed key, not the AWS-managed default.
    expect(
      find(run.resources, "aws:elasticache/replicationGroup:ReplicationGroup", "cache").propertyDependencies
        .kmsKeyId,
    ).toEqual([find(run.resources, "aws:kms/key:Key", "cache-key").urn]);
    const token = find(run.resources, "random:index/randomPassword:RandomPassword", "cache-auth-token").urn;
    expect(
      find(run.resources, "aws:elasticache/replicationGroup:ReplicationGroup", "cache").propertyDependencies
        .authToken,
    ).toEqual([token]);
  });

  test("only the cluster's security group reaches PostgreSQL and the cache, by one rule each", () => {
    const clusterUrn = find(run.resources, "aws:eks/cluster:Cluster", "eks").urn;
    const rules = ofType(run.resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    for (const [name, port] of [
      ["database-sg", 5432],
      ["cache-sg", 6379],
    ] as const) {
      const sg = find(run.resources, "aws:ec2/securityGroup:SecurityGroup", name);
      // No inline rules (the provider would then own the group's whole rule set) and no egress opened.
      expect([name, sg.inputs.ingress, sg.inputs.egress]).toEqual([name, undefined, undefined]);
      // Rules from anything but the group itself: what a client may reach.
      const fromOthers = rules.filter(
        (r) =>
          r.propertyDependencies.securityGroupId?.includes(sg.urn) &&
          !r.propertyDependencies.referencedSecurityGroupId?.includes(sg.urn),
      );
      expect(fromOthers.map((r) => [r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort])).toEqual([
        ["tcp", port, port],
      ]);
      // From the cluster's security group (its nodes and pods), never from an address range.
      expect(fromOthers[0].propertyDependencies.referencedSecurityGroupId).toEqual([clusterUrn]);
      expect(
        rules
          .filter((r) => r.propertyDependencies.securityGroupId?.includes(sg.urn))
          .map((r) => [r.inputs.cidrIpv4, r.inputs.cidrIpv6, r.inputs.prefixListId]),
      ).toEqual(expect.arrayContaining([[undefined, undefined, undefined]]));
    }
    // The database's one rule, the cache's rule from the cluster and the one among its own nodes.
    const groups = ["database-sg", "cache-sg"].map(
      (name) => find(run.resources, "aws:ec2/securityGroup:SecurityGroup", name).urn,
    );
    expect(
      rules.filter((r) => groups.some((g) => r.propertyDependencies.securityGroupId?.includes(g))),
    ).toHaveLength(3);
  });

  test("the cache's nodes reach one another on its port, in and out, naming no address", () => {
    // A replica's link to its primary and a failover run between the nodes' own addresses; our
    // client rule admits only the cluster's group, so the group admits itself (components/data).
    const sg = find(run.resources, "aws:ec2/securityGroup:SecurityGroup", "cache-sg");
    for (const type of [
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    ]) {
      const own = ofType(run.resources, type).filter(
        (r) =>
          r.propertyDependencies.securityGroupId?.includes(sg.urn) &&
          r.propertyDependencies.referencedSecurityGroupId?.includes(sg.urn),
      );
      expect(
        own.map((r) => [r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]),
      ).toEqual([["tcp", 6379, 6379, undefined]]);
    }
    // The database's group has no such rule: RDS replicates storage, not through our group.
    const database = find(run.resources, "aws:ec2/securityGroup:SecurityGroup", "database-sg");
    expect(
      ofType(run.resources, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) =>
        r.propertyDependencies.securityGroupId?.includes(database.urn),
      ),
    ).toEqual([]);
  });

  test("each group's rules are exactly the ones declared: a rule added by hand is revoked", () => {
    // Without inline `ingress` the provider leaves a group's rules alone (attributes-as-blocks);
    // aws.ec2.VpcSecurityGroupRulesExclusive takes the whole set (the provider's docs, @pulumi/aws 7.48.0).
    const known = knownRun(stack).resources;
    for (const [name, ingress, egress] of [
      ["database-sg", ["database-sg-from-cluster"], []],
      ["cache-sg", ["cache-sg-from-cluster", "cache-sg-from-itself"], ["cache-sg-to-itself"]],
    ] as const) {
      const sg = find(run.resources, "aws:ec2/securityGroup:SecurityGroup", name);
      const [exclusive, ...others] = ofType(
        run.resources,
        "aws:ec2/vpcSecurityGroupRulesExclusive:VpcSecurityGroupRulesExclusive",
      ).filter((r) => r.propertyDependencies.securityGroupId?.includes(sg.urn));
      expect([name, others.length]).toEqual([name, 0]);
      const after = find(known, exclusive.type, exclusive.name).inputs;
      expect([after.ingressRuleIds, after.egressRuleIds]).toEqual([
        ingress.map((rule) => `${rule}-id`),
        egress.map((rule) => `${rule}-id`),
      ]);
    }
  });

  test("the database and the cache are built beside the EKS cluster: only the two ingress rules wait for it", () => {
    const clusterUrn = find(run.resources, "aws:eks/cluster:Cluster", "eks").urn;
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const upstream = (urn: string, seen = new Set<string>()): Set<string> => {
      for (const dependency of byUrn.get(urn)?.dependencies ?? []) {
        if (!seen.has(dependency)) {
          seen.add(dependency);
          upstream(dependency, seen);
        }
      }
      return seen;
    };
    for (const r of [
      db(),
      find(run.resources, "aws:elasticache/replicationGroup:ReplicationGroup", "cache"),
      find(run.resources, "aws:ec2/securityGroup:SecurityGroup", "database-sg"),
    ])
      expect([r.name, upstream(r.urn).has(clusterUrn)]).toEqual([r.name, false]);
  });

  test("the uploads bucket: private, SSE-KMS, versioned, TLS-only, CORS for the web host, old versions expire", () => {
    expect(
      inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "uploads-public-access"),
    ).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      inputs("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "uploads-ownership").rule,
    ).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    const sse = inputs(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "uploads-encryption",
    );
    expect(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("aws:kms");
    expect(
      inputs("aws:s3/bucketVersioning:BucketVersioning", "uploads-versioning").versioningConfiguration,
    ).toEqual({ status: "Enabled" });
    const policy = JSON.parse(inputs("aws:s3/bucketPolicy:BucketPolicy", "uploads-tls-only").policy);
    expect(policy.Statement.map((s: any) => s.Condition)).toEqual([
      { Bool: { "aws:SecureTransport": "false" } },
      { NumericLessThan: { "s3:TlsVersion": "1.2" } },
    ]);
    const hosts = config(stack, "dns");
    expect(
      inputs("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "uploads-cors").corsRules[0]
        .allowedOrigins,
    ).toEqual([`https://${hosts.appHost}`]);
    const rules = inputs(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "uploads-lifecycle",
    ).rules;
    expect(rules[0].noncurrentVersionExpiration).toEqual({
      noncurrentDays: config(stack, "storage").noncurrentVersionDays,
    });
  });

  test(`protect: ${expected.protect} on the database, cache, keys and bucket`, () => {
    const stateful = [
      find(run.resources, "aws:rds/instance:Instance", "postgres"),
      find(run.resources, "aws:elasticache/replicationGroup:ReplicationGroup", "cache"),
      find(run.resources, "aws:s3/bucket:Bucket", "uploads"),
      // The data layer's keys (database, cache, uploads, exported logs).
      ...ofType(run.resources, "aws:kms/key:Key").filter(
        (k) => k.parent === find(run.resources, "healthflow:data:Data", "data").urn,
      ),
    ];
    for (const r of stateful) expect([r.name, r.protect]).toEqual([r.name, expected.protect]);
  });

  test("credentials are secrets in the state and in the exported URLs (TLS everywhere)", async () => {
    const known = knownRun(stack);
    expect(isSecret(find(known.resources, "aws:rds/instance:Instance", "postgres").inputs.password)).toBe(
      true,
    );
    expect(
      isSecret(
        find(known.resources, "aws:elasticache/replicationGroup:ReplicationGroup", "cache").inputs.authToken,
      ),
    ).toBe(true);
    const connection = known.outputs.connection as Record<string, any>;
    for (const key of ["databaseUrl", "databaseReadUrl", "redisUrl"])
      expect([key, isSecret(connection[key])]).toEqual([key, true]);
    expect(connection.redisUrl.value).toMatch(/^rediss:\/\/:[\w-]{64}@/);
    // libpq URIs that verify the server against AWS's regional CA, mounted where sslrootcert says.
    for (const key of ["databaseUrl", "databaseReadUrl"]) {
      expect(new URL(connection[key].value).search).toBe(
        "?sslmode=verify-full&sslrootcert=/etc/healthflow/rds-ca/sa-east-1-bundle.pem",
      );
    }
  });

  test("the version is the major only, minor upgrades are RDS's (forced ones included)", () => {
    const instances = ofType(run.resources, "aws:rds/instance:Instance");
    expect(inputs("aws:rds/instance:Instance", "postgres").engineVersion).toBe("16");
    for (const db of instances) expect([db.name, db.inputs.autoMinorVersionUpgrade]).toEqual([db.name, true]);
    expect(db().ignoreChanges).toEqual([]);
    expect(inputs("aws:rds/parameterGroup:ParameterGroup", "postgres16").family).toBe("postgres16");
  });

  test("every instance grows its storage up to the primary's ceiling, and follows it", async () => {
    const ceiling = config(stack, "database").maxAllocatedStorageGiB;
    for (const r of ofType(run.resources, "aws:rds/instance:Instance")) {
      expect([r.name, r.inputs.maxAllocatedStorage]).toEqual([r.name, ceiling]);
    }
    const raised = bigger().maxAllocatedStorageGiB;
    expect(raised).not.toBe(ceiling);
    for (const r of ofType((await resized()).resources, "aws:rds/instance:Instance")) {
      expect([r.name, r.inputs.maxAllocatedStorage]).toEqual([r.name, raised]);
    }
  });

  test("the final snapshot's name is new for every life of the database", () => {
    const primary = db();
    const suffix = find(run.resources, "random:index/randomId:RandomId", "postgres-final-snapshot-suffix");
    expect(primary.propertyDependencies.finalSnapshotIdentifier).toEqual([suffix.urn]);
    expect(suffix.inputs.keepers).toEqual({ identifier: `healthflow-${stack}-postgres` });
    const finalName = knownRun(stack).resources.find((r) => r.name === "postgres")!.inputs
      .finalSnapshotIdentifier;
    expect(finalName).toMatch(new RegExp(`^healthflow-${stack}-postgres-final-[0-9a-f]{8}$`));
  });
});

describe("the apps read from the replica without waiting for it", () => {
  test("the app Secret waits for the primary only; DATABASE_READ_URL names the host RDS gives the replica", () => {
    const run = plannedRun("production");
    const secret = find(run.resources, "kubernetes:core/v1:Secret", "secrets");
    const replica = find(run.resources, "aws:rds/instance:Instance", "postgres-replica-1");
    expect(secret.dependencies).toContain(find(run.resources, "aws:rds/instance:Instance", "postgres").urn);
    expect(secret.dependencies).not.toContain(replica.urn);
    // The backup job reads the replica itself, so it may wait for it.
    expect(find(run.resources, "kubernetes:batch/v1:CronJob", "postgres-backup").dependencies).toEqual(
      expect.arrayContaining([replica.urn]),
    );
    // Once created (the mocks name hosts as RDS does), the predicted host is the replica's.
    const known = knownRun("production");
    const read = new URL((known.outputs.connection as any).databaseReadUrl.value);
    expect(read.hostname).toBe(
      find(known.resources, "aws:rds/instance:Instance", "postgres-replica-1").outputs.address,
    );
  });

  test("the replica's host follows the primary's suffix; another address is refused", () => {
    const primary = "healthflow-production-postgres.c9akciq32.sa-east-1.rds.amazonaws.com";
    expect(
      replicaAddress(primary, "healthflow-production-postgres", "healthflow-production-postgres-replica-1"),
    ).toBe("healthflow-production-postgres-replica-1.c9akciq32.sa-east-1.rds.amazonaws.com");
    expect(replicaAddress("DB1.x.sa-east-1.rds.amazonaws.com".toLowerCase(), "DB1", "Replica")).toBe(
      "replica.x.sa-east-1.rds.amazonaws.com",
    );
    expect(() => replicaAddress(primary, "other-db", "replica")).toThrow(
      /is not the address of the DB instance other-db/,
    );
  });
});

describe("a cache AWS upgraded by itself", () => {
  const withCache = (version: string) =>
    runProgram("production", {
      invokesFrom: {
        module: path.join(PROJECT_ROOT, "tools", "engine", "awsAnswers.ts"),
        export: "runningCacheAnswers",
        args: [version],
      },
    });
  const cache = (run: ProgramRun) =>
    find(run.resources, "aws:elasticache/replicationGroup:ReplicationGroup", "cache");

  test("is left at AWS's version instead of replaced (protect would block production; staging's fixed id would fail)", async () => {
    const upgraded = cache(await withCache("8.2.0"));
    expect(upgraded.ignoreChanges).toEqual(["engineVersion"]);
    expect(upgraded.protect).toBe(true);
  });

  test("at the setting's version the setting stays in charge: a deliberate upgrade applies", () => {
    // (The preflight finds no version ahead at 8.1.x: tests/settings/preflight.test.ts.)
    expect(cache(plannedRun("production")).ignoreChanges).toEqual([]);
  });
});

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Settings } from "../../settings";
import { secureBucket } from "../aws/bucket";
import { accountId, kmsKeyPolicy } from "../aws/kms";
import { encryptedLogGroups } from "../aws/logs";
import {
  cacheParameterFamily,
  connectionUrls,
  replicaAddress,
  DATABASE_NAME,
  DATABASE_USER,
  DatabaseCa,
  postgresParameters,
  rdsCa,
  replicaParameters,
} from "./connection";

/** What the data layer of a staging/production stack needs. */
export interface DataArgs {
  /** `healthflow:database` (RDS PostgreSQL). Required. */
  database: NonNullable<Settings["database"]>;
  /** `healthflow:cache` (ElastiCache). Required. */
  cache: NonNullable<Settings["cache"]>;
  /** `healthflow:storage` (the uploads bucket). Required. */
  storage: NonNullable<Settings["storage"]>;
  /** Resource names start with this, e.g. "healthflow-production"; identifiers never change. Required. */
  namePrefix: string;
  region: string;
  /** The web app's origin for browser uploads (CORS), e.g. https://app.healtflow.com.br. */
  webOrigin: string;
  vpcId: pulumi.Input<string>;
  databaseSubnetIds: pulumi.Input<string>[];
  /** Only this security group (the EKS cluster's: nodes and pods) may connect. */
  clientSecurityGroupId: pulumi.Input<string>;
  /**
   * The cache's running major.minor when AWS upgraded it past `cache.engineVersion` (the preflight
   * finds it): the update then leaves the version as AWS set it instead of replacing the cache.
   * Default: none (the setting applies).
   */
  cacheVersionAhead?: string;
  provider: aws.Provider;
  randomProvider: random.Provider;
  /** Production: `protect` and deletion protection on the database, keys and bucket. Default false. */
  protect?: boolean;
}

/** What the workloads consume; URLs carry credentials and are secrets. */
export interface DataConnection {
  databaseUrl: pulumi.Output<string>;
  /** The read replica's URL; the primary's where there is no replica. */
  databaseReadUrl: pulumi.Output<string>;
  redisUrl: pulumi.Output<string>;
  databaseHost: pulumi.Output<string>;
  /** The read replica's host; the primary's where there is no replica. */
  databaseReadHost: pulumi.Output<string>;
  databasePassword: pulumi.Output<string>;
  uploadsBucket: pulumi.Output<string>;
  uploadsBucketArn: pulumi.Output<string>;
  uploadsKeyArn: pulumi.Output<string>;
  region: string;
  /** The RDS CA bundle the URLs' `sslrootcert` names: every pod that connects mounts it there. */
  databaseCa: DatabaseCa;
}

/**
 * PostgreSQL on RDS (gp3 with autoscaling, a customer KMS key, TLS forced and verified, IAM auth,
 * Performance Insights, logs exported; Multi-AZ and read replicas where configured), Valkey or
 * Redis on ElastiCache (encrypted at rest and in transit, AUTH), and the uploads bucket. Every
 * identifier is fixed from the stack name, and sizes are in-place updates, so changing a size in a
 * stack file modifies the database instead of replacing it.
 */
export class Data extends pulumi.ComponentResource {
  readonly connection: DataConnection;
  readonly primary: aws.rds.Instance;

  constructor(name: string, args: DataArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:data:Data", name, {}, opts);
    const { database, cache, namePrefix } = args;
    const child = { parent: this, provider: args.provider };
    const kept = { ...child, protect: args.protect };
    const key = (id: string, description: string, retainOnDelete = false) =>
      new aws.kms.Key(
        id,
        {
          description: `${namePrefix} ${description}`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: kmsKeyPolicy(args.provider),
        },
        { ...kept, retainOnDelete },
      );
    const password = (id: string, length: number) =>
      new random.RandomPassword(
        id,
        { length, special: false },
        { parent: this, provider: args.randomProvider },
      ).result;
    // The group exists as soon as the VPC does, so the database and the cache are created beside the
    // EKS cluster, not after it; only its one ingress rule waits for the cluster's security group.
    // A group with no inline `ingress` leaves its rules unmanaged (attributes-as-blocks: the provider
    // then neither adds nor removes any), so a VpcSecurityGroupRulesExclusive owns the whole set: that
    // one rule in, nothing out (RDS and ElastiCache need no egress). A rule added by hand shows in
    // the drift check and the next `up` revokes it, as the inline list did. (Sources: the provider's
    // ec2/securityGroup and ec2/vpcSecurityGroupRulesExclusive docs, @pulumi/aws 7.48.0.)
    const onlyFromCluster = (id: string, port: number, description: string, amongItself = false) => {
      const group = new aws.ec2.SecurityGroup(
        id,
        { vpcId: args.vpcId, description, tags: { Name: `${namePrefix}-${id}` } },
        child,
      );
      const fromCluster = new aws.vpc.SecurityGroupIngressRule(
        `${id}-from-cluster`,
        {
          securityGroupId: group.id,
          referencedSecurityGroupId: args.clientSecurityGroupId,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description: "EKS nodes and pods",
          tags: { Name: `${namePrefix}-${id}-from-cluster` },
        },
        child,
      );
      const among = amongItself ? this.amongItself(id, group, port, child) : undefined;
      new aws.ec2.VpcSecurityGroupRulesExclusive(
        `${id}-rules`,
        {
          securityGroupId: group.id,
          ingressRuleIds: [fromCluster.id, ...(among ? [among.ingress.id] : [])],
          egressRuleIds: among ? [among.egress.id] : [],
        },
        child,
      );
      return group;
    };

    // --- PostgreSQL ----------------------------------------------------------------------
    // Outlives the stack: the final snapshot and the retained automated backups a destroy leaves are
    // encrypted with it, and a deleted key would make them unreadable after its 30-day window.
    const databaseKey = key(
      "database-key",
      "RDS PostgreSQL storage, Performance Insights and master secret",
      true,
    );
    const databasePassword = password("database-password", 40);
    const subnets = new aws.rds.SubnetGroup(
      "database-subnets",
      { name: `${namePrefix}-postgres`, subnetIds: args.databaseSubnetIds },
      child,
    );
    const databaseSg = onlyFromCluster("database-sg", 5432, "PostgreSQL from the EKS cluster only");
    // The family follows the major version (the resource keeps its name, "postgres16" for 16).
    const family = `postgres${database.engineVersion}`;
    const parameters = new aws.rds.ParameterGroup(
      family,
      {
        family,
        description: "HealthFlow: TLS forced, slow queries and connections logged",
        parameters: postgresParameters(),
      },
      child,
    );
    const replicaParameterGroup =
      database.readReplicas > 0
        ? new aws.rds.ParameterGroup(
            `${family}-replica`,
            {
              family,
              description:
                "HealthFlow read replica: the primary's, plus hot_standby_feedback for the nightly pg_dump",
              parameters: replicaParameters(),
            },
            child,
          )
        : undefined;
    const shared = {
      instanceClass: database.instanceClass,
      // Storage autoscaling on every instance: a replica that cannot grow with its primary stops
      // replicating when the primary outgrows it.
      maxAllocatedStorage: database.maxAllocatedStorageGiB,
      vpcSecurityGroupIds: [databaseSg.id],
      publiclyAccessible: false,
      storageType: "gp3",
      iamDatabaseAuthenticationEnabled: true,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: databaseKey.arn,
      performanceInsightsRetentionPeriod: 7,
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
      caCertIdentifier: "rds-ca-rsa2048-g1",
      // engineVersion is the major only: RDS applies minor versions in the maintenance window,
      // the ones it forces at end of support included, and the provider accepts the prefix
      // (its engineVersion docs). A pinned minor would make the first `pulumi up` after a forced
      // upgrade try to downgrade the database, which RDS refuses.
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      deletionProtection: args.protect ?? false,
      // Sunday 04:30-05:30 in São Paulo, clear of the backup window.
      maintenanceWindow: "sun:07:30-sun:08:30",
      // Staging applies size changes at once; production waits for the maintenance window (the
      // nightly drift check reports the pending change until then).
      applyImmediately: database.applyImmediately,
    };
    const identifiers = [
      `${namePrefix}-postgres`,
      ...Array.from({ length: database.readReplicas }, (_, i) => `${namePrefix}-postgres-replica-${i + 1}`),
    ];
    const exportedLogs = encryptedLogGroups("postgres", {
      description: `${namePrefix} PostgreSQL`,
      groups: Object.fromEntries(
        identifiers.flatMap((id) =>
          ["postgresql", "upgrade"].map((log) => [
            `${id.slice(namePrefix.length + 1)}-${log}`,
            `/aws/rds/instance/${id}/${log}`,
          ]),
        ),
      ),
      retentionDays: database.logRetentionDays,
      region: args.region,
      provider: args.provider,
      parent: this,
      protect: args.protect,
    });
    // A final snapshot's name must be new in the account: one suffix per life of the database,
    // so destroying the stack a second time (after an up) does not collide with the first snapshot.
    const finalSnapshotSuffix = new random.RandomId(
      "postgres-final-snapshot-suffix",
      { byteLength: 4, keepers: { identifier: identifiers[0] } },
      { parent: this, provider: args.randomProvider },
    );
    this.primary = new aws.rds.Instance(
      "postgres",
      {
        ...shared,
        parameterGroupName: parameters.name,
        identifier: identifiers[0],
        engine: "postgres",
        engineVersion: database.engineVersion,
        dbName: DATABASE_NAME,
        username: DATABASE_USER,
        password: databasePassword,
        allocatedStorage: database.allocatedStorageGiB,
        storageEncrypted: true,
        kmsKeyId: databaseKey.arn,
        multiAz: database.multiAz,
        dbSubnetGroupName: subnets.name,
        backupRetentionPeriod: database.backupRetentionDays,
        // 03:00-04:00 in São Paulo: after the 02:00 pg_dump.
        backupWindow: "06:00-07:00",
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: pulumi.interpolate`${identifiers[0]}-final-${finalSnapshotSuffix.hex}`,
        deleteAutomatedBackups: false,
      },
      { ...kept, dependsOn: exportedLogs.groups },
    );
    const replicas = Array.from(
      { length: database.readReplicas },
      (_, i) =>
        new aws.rds.Instance(
          `postgres-replica-${i + 1}`,
          {
            ...shared,
            parameterGroupName: replicaParameterGroup?.name,
            identifier: identifiers[i + 1],
            replicateSourceDb: this.primary.identifier,
            // Encryption and its key come from the source: RDS refuses a KMS key for a same-region
            // replica. A replica has no backups of its own; the primary's are the record.
            skipFinalSnapshot: true,
          },
          { ...kept, dependsOn: exportedLogs.groups },
        ),
    );

    // --- Cache -----------------------------------------------------------------------------
    const cacheKey = key("cache-key", "ElastiCache at-rest encryption");
    const authToken = password("cache-auth-token", 64);
    const cacheSubnets = new aws.elasticache.SubnetGroup(
      "cache-subnets",
      { name: `${namePrefix}-cache`, subnetIds: args.databaseSubnetIds },
      child,
    );
    const cacheSg = onlyFromCluster("cache-sg", 6379, "Valkey/Redis from the EKS cluster only", true);
    // Bull keeps its queues in the cache: an evicted key is a lost job, so memory pressure must
    // fail writes (noeviction) rather than drop data.
    const cacheParameters = new aws.elasticache.ParameterGroup(
      "cache-params",
      {
        family: cacheParameterFamily(cache.engine, cache.engineVersion),
        description: "HealthFlow: Bull queues must never be evicted",
        parameters: [{ name: "maxmemory-policy", value: "noeviction" }],
      },
      child,
    );
    const redis = new aws.elasticache.ReplicationGroup(
      "cache",
      {
        replicationGroupId: `${namePrefix}-cache`,
        description: `${namePrefix} Bull queues and cache`,
        engine: cache.engine,
        engineVersion: cache.engineVersion,
        nodeType: cache.nodeType,
        numCacheClusters: cache.nodes,
        automaticFailoverEnabled: cache.automaticFailover,
        multiAzEnabled: cache.automaticFailover,
        atRestEncryptionEnabled: true,
        kmsKeyId: cacheKey.arn,
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        authToken,
        port: 6379,
        subnetGroupName: cacheSubnets.name,
        parameterGroupName: cacheParameters.name,
        securityGroupIds: [cacheSg.id],
        snapshotRetentionLimit: cache.snapshotRetentionDays,
        snapshotWindow: "06:00-07:00",
        maintenanceWindow: "sun:08:30-sun:09:30",
      },
      // When AWS has upgraded the cache past the setting, the provider would read the lower setting as
      // a downgrade and replace the cache (engine_version.go, engineVersionForceNewOnDowngrade): the
      // version stays as AWS set it, and the preflight's warning says to raise the setting.
      args.cacheVersionAhead ? { ...kept, ignoreChanges: ["engineVersion"] } : kept,
    );

    // --- Uploads bucket --------------------------------------------------------------------
    const uploadsKey = key("uploads-key", "S3 uploads");
    const account = accountId(args.provider);
    const { bucket: uploads } = secureBucket("uploads", {
      bucketName: pulumi.interpolate`${namePrefix}-uploads-${account}`,
      kmsKeyArn: uploadsKey.arn,
      corsOrigins: [args.webOrigin],
      // A stack that is not protected (staging) may be destroyed, uploads and all; production's are protected.
      onDestroy: args.protect ? undefined : "empty",
      lifecycleRules: [
        {
          id: "expire-old-versions",
          status: "Enabled",
          filter: {},
          noncurrentVersionExpiration: { noncurrentDays: args.storage.noncurrentVersionDays },
        },
      ],
      provider: args.provider,
      parent: this,
      protect: args.protect,
    });

    const databaseCa = rdsCa(args.region);
    // The apps read from the replica by the name RDS will give it, known once the primary exists
    // (replicaAddress), so their rollout waits for the primary, not for the replica's creation too;
    // the backup job reads from the replica itself, and the update fails if the two names differ.
    const predictedReplicaHost = replicas[0]
      ? pulumi
          .all([this.primary.address, this.primary.identifier])
          .apply(([address, primary]) => replicaAddress(address, primary, identifiers[1]))
      : undefined;
    const replicaNameChecked = predictedReplicaHost
      ? pulumi.all([replicas[0].address, predictedReplicaHost]).apply(([actual, predicted]) => {
          if (actual && predicted && actual !== predicted) {
            throw new Error(
              `RDS named the read replica ${actual}, not ${predicted}: the apps' DATABASE_READ_URL points at the wrong host. Set it from the replica's address (components/data/index.ts) and run pulumi up again.`,
            );
          }
          return true;
        })
      : true;
    const urls = connectionUrls({
      caPath: databaseCa.path,
      password: databasePassword,
      primaryHost: this.primary.address,
      replicaHost: predictedReplicaHost,
      redisHost: redis.primaryEndpointAddress,
      redisAuthToken: authToken,
    });
    this.connection = {
      ...urls,
      databaseHost: this.primary.address,
      databaseReadHost: replicas[0]?.address ?? this.primary.address,
      databasePassword: pulumi.secret(databasePassword),
      uploadsBucket: uploads.bucket,
      uploadsBucketArn: uploads.arn,
      uploadsKeyArn: uploadsKey.arn,
      region: args.region,
      databaseCa,
    };
    this.registerOutputs({
      databaseIdentifier: this.primary.identifier,
      replicaIdentifiers: replicas.map((r) => r.identifier),
      cacheId: redis.replicationGroupId,
      uploadsBucket: uploads.bucket,
      connection: { ...this.connection, databaseCa: databaseCa.path },
      replicaNameChecked,
    });
  }

  /**
   * The cache's nodes to one another on its port, in and out, and nothing else. A replica keeps a
   * replication link open to its primary and a failover turns a replica into the primary, both on
   * the nodes' addresses in our subnets. AWS's access-pattern docs list only the clients' rule ("Access
   * Patterns for Accessing an ElastiCache Cache in an Amazon VPC"), which admits the nodes themselves
   * when it is the VPC's CIDR (terraform-aws-elasticache's replication example); ours admits only the
   * cluster's group, so the group admits itself as well (terraform-aws-elasticache #51: "self" rules
   * "for reasons such as replication"). It names no address: no client gains anything by it.
   */
  private amongItself(
    id: string,
    group: aws.ec2.SecurityGroup,
    port: number,
    child: pulumi.CustomResourceOptions,
  ): { ingress: aws.vpc.SecurityGroupIngressRule; egress: aws.vpc.SecurityGroupEgressRule } {
    const rule = {
      securityGroupId: group.id,
      referencedSecurityGroupId: group.id,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      description: "Between the cache nodes (replication, failover)",
    };
    return {
      ingress: new aws.vpc.SecurityGroupIngressRule(`${id}-from-itself`, rule, child),
      egress: new aws.vpc.SecurityGroupEgressRule(`${id}-to-itself`, rule, child),
    };
  }
}

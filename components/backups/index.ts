import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { s3BucketArn, secureBucket } from "../aws/bucket";
import { podIdentityRole } from "../aws/iam";
import { accountId, kmsKeyPolicy } from "../aws/kms";
import { configChecksum } from "../checksum";
import type { DatabaseCa } from "../data/connection";
import {
  BACKUP_LABELS,
  BACKUP_PREFIX,
  backupCronJobSpec,
  backupScripts,
  backupWriterPolicy,
  DRILL_LABELS,
  DRILL_SERVICE_ACCOUNT,
  drillCronJobSpec,
  drillReaderPolicy,
  SERVICE_ACCOUNT,
} from "./job";
import { secretData } from "../secrets";

type BackupSettings = Settings["backups"];

/** What the backups of a staging/production stack need. */
export interface BackupsArgs {
  /** `healthflow:backups` with objectLock, tiering and images set. Required. */
  backups: BackupSettings;
  namePrefix: string;
  region: string;
  clusterName: pulumi.Input<string>;
  /** The app namespace (the Namespace resource's name, so the job waits for it). */
  namespace: pulumi.Input<string>;
  /** The database to dump: the read replica where there is one, so the dump never loads the primary. */
  database: {
    host: pulumi.Input<string>;
    name: string;
    user: string;
    password: pulumi.Input<string>;
    /** The RDS CA bundle the dump verifies the server against. */
    ca: DatabaseCa;
  };
  /** The cluster's StorageClass for scratch volumes (`reclaimPolicy: Delete`). Required. */
  scratchStorageClass: pulumi.Input<string>;
  provider: aws.Provider;
  k8sProvider: k8s.Provider;
  /** Production: `protect` on the bucket and its key. Default false. */
  protect?: boolean;
}

/**
 * Nightly pg_dump backups to their own bucket: SSE-KMS, versioned, private, TLS-only, Object Lock,
 * tiered to cheaper storage and expired on schedule. The CronJob's service account may only write
 * under the backups prefix — it cannot read, list or delete anything.
 */
export class Backups extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly cronJob: k8s.batch.v1.CronJob;
  /** The weekly restore drill (scripts/drill.sh). */
  readonly drillCronJob: k8s.batch.v1.CronJob;

  constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:backups:Backups", name, {}, opts);
    const { backups, namePrefix } = args;
    if (!backups.objectLock || !backups.tiering || !backups.images || !backups.scratchGiB || !backups.drill) {
      throw new Error(
        `the backups of ${namePrefix} need objectLock, tiering, images, scratchGiB and drill settings`,
      );
    }
    const child = { parent: this, provider: args.provider };
    const key = new aws.kms.Key(
      "backups-key",
      {
        description: `${namePrefix} database backups`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: kmsKeyPolicy(args.provider),
      },
      // Outlives the stack with the dumps it encrypts: a destroy must not schedule their key's deletion.
      { ...child, protect: args.protect, retainOnDelete: true },
    );
    const bucketName = pulumi.interpolate`${namePrefix}-backups-${accountId(args.provider)}`;
    this.bucket = secureBucket("backups", {
      bucketName,
      // The locked dumps stay readable after a destroy (docs/data-and-backups.md, tearing down staging).
      onDestroy: "keep",
      kmsKeyArn: key.arn,
      objectLock: backups.objectLock,
      lifecycleRules: [
        {
          id: "tier-and-expire",
          status: "Enabled",
          filter: { prefix: `${BACKUP_PREFIX}/` },
          transitions: [
            { days: backups.tiering.infrequentAccessAfterDays, storageClass: "STANDARD_IA" },
            { days: backups.tiering.archiveAfterDays, storageClass: "GLACIER_IR" },
          ],
          expiration: { days: backups.retentionDays },
          noncurrentVersionExpiration: { noncurrentDays: backups.objectLock.days },
        },
      ],
      provider: args.provider,
      parent: this,
      protect: args.protect,
      tags: { purpose: "backups" },
    }).bucket;

    /** A Pod Identity role for `serviceAccount` of the app namespace, with `policy` as its only permissions. */
    const identity = (serviceAccount: string, policyName: string, policy: pulumi.Input<string>) => {
      const role = podIdentityRole(serviceAccount, args.provider, this);
      const permissions = new aws.iam.RolePolicy(policyName, { role: role.id, policy }, child);
      const association = new aws.eks.PodIdentityAssociation(
        serviceAccount,
        { clusterName: args.clusterName, namespace: args.namespace, serviceAccount, roleArn: role.arn },
        child,
      );
      return { role, permissions, association };
    };
    const writer = identity(
      SERVICE_ACCOUNT,
      "postgres-backup-write-only",
      backupWriterPolicy(s3BucketArn(bucketName), args.region),
    );
    const { role, association } = writer;
    const writeOnly = writer.permissions;

    const k8sChild = { parent: this, provider: args.k8sProvider };
    const metadata = (name: string) => ({
      name,
      namespace: args.namespace,
      labels: BACKUP_LABELS,
    });
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      "postgres-backup",
      { metadata: metadata(SERVICE_ACCOUNT), automountServiceAccountToken: false },
      k8sChild,
    );
    const credentialsData = { PGPASSWORD: args.database.password };
    const scriptsData = backupScripts();
    const ca = args.database.ca;
    const caData = { [ca.fileName]: ca.pem };
    const credentials = new k8s.core.v1.Secret(
      "postgres-backup-credentials",
      {
        metadata: metadata("postgres-backup-credentials"),
        type: "Opaque",
        data: secretData(credentialsData),
      },
      k8sChild,
    );
    const scripts = new k8s.core.v1.ConfigMap(
      "postgres-backup-scripts",
      { metadata: metadata("postgres-backup-scripts"), data: scriptsData },
      k8sChild,
    );
    const caBundle = new k8s.core.v1.ConfigMap(
      "postgres-backup-rds-ca",
      { metadata: metadata("postgres-backup-rds-ca"), data: caData },
      k8sChild,
    );
    this.cronJob = new k8s.batch.v1.CronJob(
      "postgres-backup",
      {
        metadata: metadata("postgres-backup"),
        spec: backupCronJobSpec({
          schedule: backups.schedule,
          timeZone: backups.timeZone,
          images: backups.images,
          scratchGiB: backups.scratchGiB,
          scratchStorageClass: args.scratchStorageClass,
          databaseCa: { configMap: caBundle.metadata.name, mountDir: ca.mountDir, path: ca.path },
          serviceAccountName: serviceAccount.metadata.name,
          credentialsSecret: credentials.metadata.name,
          scriptsConfigMap: scripts.metadata.name,
          configChecksum: configChecksum({
            "postgres-backup-credentials": credentialsData,
            "postgres-backup-scripts": scriptsData,
            "postgres-backup-rds-ca": caData,
          }),
          database: { host: args.database.host, name: args.database.name, user: args.database.user },
          bucket: {
            name: this.bucket.bucket,
            prefix: BACKUP_PREFIX,
            kmsKeyArn: key.arn,
            region: args.region,
          },
        }),
      },
      // A Job's pod gets Pod Identity credentials only if its association exists when it is admitted
      // (EKS user guide, pod-id-how-it-works), so no backup can start before it and its permissions.
      { ...k8sChild, dependsOn: [association, writeOnly] },
    );

    // The restore drill: its own identity, which may read the backups and nothing else.
    const reader = identity(
      DRILL_SERVICE_ACCOUNT,
      "restore-drill-read-only",
      drillReaderPolicy(s3BucketArn(bucketName), args.region),
    );
    const drillAccount = new k8s.core.v1.ServiceAccount(
      "restore-drill",
      {
        metadata: { name: DRILL_SERVICE_ACCOUNT, namespace: args.namespace, labels: DRILL_LABELS },
        automountServiceAccountToken: false,
      },
      k8sChild,
    );
    this.drillCronJob = new k8s.batch.v1.CronJob(
      "restore-drill",
      {
        metadata: { name: "restore-drill", namespace: args.namespace, labels: DRILL_LABELS },
        spec: drillCronJobSpec({
          schedule: backups.drill.schedule,
          timeZone: backups.timeZone,
          images: backups.images,
          scratchGiB: backups.drill.scratchGiB,
          scratchStorageClass: args.scratchStorageClass,
          serviceAccountName: drillAccount.metadata.name,
          scriptsConfigMap: scripts.metadata.name,
          configChecksum: configChecksum({ "postgres-backup-scripts": scriptsData }),
          bucket: { name: this.bucket.bucket, prefix: BACKUP_PREFIX, region: args.region },
        }),
      },
      { ...k8sChild, dependsOn: [reader.association, reader.permissions] },
    );
    this.registerOutputs({
      bucket: this.bucket.bucket,
      keyArn: key.arn,
      roleArn: role.arn,
      cronJob: this.cronJob.metadata.name,
    });
  }
}

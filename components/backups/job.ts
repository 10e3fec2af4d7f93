import * as fs from "fs";
import * as path from "path";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_CHECKSUM } from "../checksum";
import { kubernetesLabels } from "../names";

/** The labels of the backup job and everything it uses. */
export const BACKUP_LABELS = kubernetesLabels("postgres-backup", "backup");

/** Backups land under this prefix; the job's role may write nowhere else. */
export const BACKUP_PREFIX = "postgres";
export const SERVICE_ACCOUNT = "postgres-backup";
/** The postgres user of the alpine image; both containers run as it. */
export const POSTGRES_UID = 70;
const SCRIPTS_DIR = path.join(__dirname, "..", "..", "scripts");

/** scripts/backup.sh, restore.sh and drill.sh, as the CronJobs mount them (the files the tests run). */
export function backupScripts(): Record<string, string> {
  return Object.fromEntries(
    ["backup.sh", "restore.sh", "drill.sh", "lib.sh"].map((file) => [
      file,
      fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8"),
    ]),
  );
}

/** KMS `actions` only through S3 in `region` and for this bucket's objects. */
function kmsThroughS3(sid: string, actions: string[], bucketArn: pulumi.Input<string>, region: string) {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: "*",
    // With S3 Bucket Keys on, the encryption context is the bucket's ARN, not the object's.
    Condition: {
      StringEquals: {
        "kms:ViaService": `s3.${region}.amazonaws.com`,
        "kms:EncryptionContext:aws:s3:arn": bucketArn,
      },
    },
  };
}

/**
 * Write-only access: PutObject under the backups prefix, and the KMS calls an SSE-KMS upload
 * needs (a multipart upload decrypts its parts' data keys to complete) — only through S3 in this
 * region and only for this bucket's objects. No Get, List or Delete. Known at preview, so the
 * policy pack sees it.
 */
export function backupWriterPolicy(bucketArn: pulumi.Input<string>, region: string): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteBackups",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
        Resource: pulumi.interpolate`${bucketArn}/${BACKUP_PREFIX}/*`,
      },
      kmsThroughS3(
        "EncryptBackupsThroughS3",
        ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"],
        bucketArn,
        region,
      ),
    ],
  });
}

export interface CronJobSpecArgs {
  schedule: string;
  timeZone: string;
  images: { postgres: string; awsCli: string };
  serviceAccountName: pulumi.Input<string>;
  credentialsSecret: pulumi.Input<string>;
  scriptsConfigMap: pulumi.Input<string>;
  /** The database to dump (the dump container only; it never sees the bucket). */
  database: { host: pulumi.Input<string>; name: string; user: string };
  /** The ConfigMap with the RDS CA bundle, and where the dump container mounts it (verify-full). */
  databaseCa: { configMap: pulumi.Input<string>; mountDir: string; path: string };
  /** gp3 scratch volume for the dump, sized to hold one compressed archive. */
  scratchGiB: number;
  /** The StorageClass of the scratch volume: one that deletes the volume with its claim. */
  scratchStorageClass: pulumi.Input<string>;
  /** The checksum of the Secret and ConfigMaps above (components/checksum.ts): a change is in the next run's pod. */
  configChecksum: pulumi.Input<string>;
  /** Where to upload (the upload container only; it never sees the password). */
  bucket: { name: pulumi.Input<string>; prefix: string; kmsKeyArn: pulumi.Input<string>; region: string };
}

/**
 * The restore drill's figures as CloudWatch metrics: drill.sh prints one JSON line when a restore
 * matches its manifest, `{"drill":"ok","dump":...,"tables":N,"rows":N,"bytes":N,"seconds":N}`, in
 * the app namespace's shipped logs; one metric filter a metric reads it (metric name → the JSON value).
 */
export const DRILL_METRICS = {
  namespace: "HealthFlow/RestoreDrill",
  // Only the drill's line: an app that logged {"drill":"ok"} would not name a dump.
  pattern: '{ $.drill = "ok" && $.dump = "healthflow_*.dump" }',
  values: { Succeeded: "1", Tables: "$.tables", Rows: "$.rows", Bytes: "$.bytes", Seconds: "$.seconds" },
} as const;

/** The labels of the restore drill and what it uses. */
export const DRILL_LABELS = kubernetesLabels("restore-drill", "backup");
export const DRILL_SERVICE_ACCOUNT = "restore-drill";

/**
 * Read-only access for the restore drill: list the backups prefix, read its objects, and decrypt
 * them only through S3 for this bucket. No Put, no Delete: the drill can change no backup.
 */
export function drillReaderPolicy(bucketArn: pulumi.Input<string>, region: string): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ListBackups",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: bucketArn,
        Condition: { StringLike: { "s3:prefix": [`${BACKUP_PREFIX}/*`] } },
      },
      {
        Sid: "ReadBackups",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: pulumi.interpolate`${bucketArn}/${BACKUP_PREFIX}/*`,
      },
      kmsThroughS3("DecryptBackupsThroughS3", ["kms:Decrypt"], bucketArn, region),
    ],
  });
}

export interface DrillSpecArgs {
  schedule: string;
  timeZone: string;
  images: { postgres: string; awsCli: string };
  serviceAccountName: pulumi.Input<string>;
  scriptsConfigMap: pulumi.Input<string>;
  /** gp3 scratch volume for the dump and the restored database. */
  scratchGiB: number;
  scratchStorageClass: pulumi.Input<string>;
  configChecksum: pulumi.Input<string>;
  bucket: { name: pulumi.Input<string>; prefix: string; region: string };
}

/**
 * The restore drill (scripts/drill.sh): the AWS CLI fetches the newest complete backup into the pod's
 * own scratch volume and refuses a tampered one; the postgres image (the database's major) restores it
 * into a throwaway server in that volume and checks each table's rows against the manifest. Its last
 * success is what the RestoreDrillMissing alert reads; the volume, with the restored data, goes with
 * the pod within the hour.
 */
export function drillCronJobSpec(args: DrillSpecArgs): k8s.types.input.batch.v1.CronJobSpec {
  const common = [
    { name: "DRILL_DIR", value: "/drill" },
    { name: "HOME", value: "/tmp" },
  ];
  const resources = { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } };
  return scriptedCronJob({
    ...args,
    labels: DRILL_LABELS,
    scratch: { name: "drill", mountPath: "/drill", GiB: args.scratchGiB },
    backoffLimit: 1,
    activeDeadlineSeconds: 6 * 3600,
    steps: [
      {
        name: "fetch",
        image: args.images.awsCli,
        command: ["/bin/sh", "/scripts/drill.sh", "fetch"],
        env: [
          ...common,
          { name: "BACKUP_BUCKET", value: args.bucket.name },
          { name: "BACKUP_PREFIX", value: args.bucket.prefix },
          { name: "AWS_REGION", value: args.bucket.region },
        ],
        resources,
      },
      {
        name: "check",
        image: args.images.postgres,
        command: ["/bin/sh", "/scripts/drill.sh", "check"],
        env: common,
        // The throwaway server's shared memory (its /dev/shm would be the runtime's 64 MB).
        extraMounts: [{ name: "shm", mountPath: "/dev/shm" }],
        resources,
      },
    ],
    extraVolumes: [{ name: "shm", emptyDir: { medium: "Memory", sizeLimit: "512Mi" } }],
  });
}

const restricted = (uid: number) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
});

interface ScriptedCronJobArgs {
  schedule: string;
  timeZone: string;
  labels: Record<string, string>;
  configChecksum: pulumi.Input<string>;
  serviceAccountName: pulumi.Input<string>;
  scriptsConfigMap: pulumi.Input<string>;
  scratchStorageClass: pulumi.Input<string>;
  /** The pod's own gp3 volume, shared by its steps. */
  scratch: { name: string; mountPath: string; GiB: number };
  backoffLimit: number;
  activeDeadlineSeconds: number;
  /** The init container, then the main one: the second starts only if the first succeeded. */
  steps: [ScriptStep, ScriptStep];
  extraVolumes: k8s.types.input.core.v1.Volume[];
}

interface ScriptStep {
  name: string;
  image: string;
  command: string[];
  env: k8s.types.input.core.v1.EnvVar[];
  resources: k8s.types.input.core.v1.ResourceRequirements;
  extraMounts?: k8s.types.input.core.v1.VolumeMount[];
}

/**
 * A CronJob of two scripted steps of scripts/ in one pod, never two at once, bounded in time and
 * retries, non-root with read-only root filesystems, on a scratch volume of its own. A finished job's
 * pod, and with it its scratch volume (data of patients), goes within the hour: one job of each outcome
 * is kept, for an hour. The alerts read the CronJob's last success (kube_cronjob_status_last_successful_time),
 * not the jobs kept; their logs are shipped (components/audit/containerLogs.ts).
 */
function scriptedCronJob(args: ScriptedCronJobArgs): k8s.types.input.batch.v1.CronJobSpec {
  const mounts = [
    { name: args.scratch.name, mountPath: args.scratch.mountPath },
    { name: "tmp", mountPath: "/tmp" },
    { name: "scripts", mountPath: "/scripts", readOnly: true },
  ];
  const container = ({ extraMounts = [], ...step }: ScriptStep) => ({
    ...step,
    volumeMounts: [...mounts, ...extraMounts],
    securityContext: restricted(POSTGRES_UID),
  });
  return {
    schedule: args.schedule,
    timeZone: args.timeZone,
    concurrencyPolicy: "Forbid",
    startingDeadlineSeconds: 3600,
    successfulJobsHistoryLimit: 1,
    failedJobsHistoryLimit: 1,
    jobTemplate: {
      spec: {
        backoffLimit: args.backoffLimit,
        activeDeadlineSeconds: args.activeDeadlineSeconds,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: { labels: args.labels, annotations: { [CONFIG_CHECKSUM]: args.configChecksum } },
          spec: {
            serviceAccountName: args.serviceAccountName,
            automountServiceAccountToken: false,
            restartPolicy: "Never",
            securityContext: {
              runAsNonRoot: true,
              fsGroup: POSTGRES_UID,
              seccompProfile: { type: "RuntimeDefault" },
            },
            initContainers: [container(args.steps[0])],
            containers: [container(args.steps[1])],
            volumes: [
              // The claim goes with the pod, and the class's `reclaimPolicy: Delete` takes the EBS volume with it.
              {
                name: args.scratch.name,
                ephemeral: {
                  volumeClaimTemplate: {
                    metadata: { labels: args.labels },
                    spec: {
                      accessModes: ["ReadWriteOnce"],
                      storageClassName: args.scratchStorageClass,
                      resources: { requests: { storage: `${args.scratch.GiB}Gi` } },
                    },
                  },
                },
              },
              { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
              { name: "scripts", configMap: { name: args.scriptsConfigMap, defaultMode: 0o555 } },
              ...args.extraVolumes,
            ],
          },
        },
      },
    },
  };
}

/**
 * The guide's CronJob done right: at 02:00 in São Paulo, never two at once, bounded in time and
 * retries, non-root with read-only root filesystems. pg_dump runs in an init container (the
 * postgres image) and writes a verified dump to a shared scratch volume; only then does the AWS CLI
 * container upload it. A failed dump fails the pod before anything is uploaded.
 */
export function backupCronJobSpec(args: CronJobSpecArgs): k8s.types.input.batch.v1.CronJobSpec {
  const common = [
    { name: "BACKUP_DIR", value: "/backup" },
    { name: "HOME", value: "/tmp" },
  ];
  const dumpEnv = [
    ...common,
    { name: "DB_HOST", value: args.database.host },
    { name: "DB_NAME", value: args.database.name },
    { name: "DB_USER", value: args.database.user },
    // TLS is forced by the parameter group (rds.force_ssl); the dump also proves it talks to RDS:
    // the certificate must chain to AWS's regional CA and name the host.
    { name: "PGSSLMODE", value: "verify-full" },
    { name: "PGSSLROOTCERT", value: args.databaseCa.path },
    { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: args.credentialsSecret, key: "PGPASSWORD" } } },
  ];
  const uploadEnv = [
    ...common,
    { name: "BACKUP_BUCKET", value: args.bucket.name },
    { name: "BACKUP_PREFIX", value: args.bucket.prefix },
    { name: "BACKUP_KMS_KEY_ID", value: args.bucket.kmsKeyArn },
    { name: "AWS_REGION", value: args.bucket.region },
  ];
  const resources = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } };
  return scriptedCronJob({
    ...args,
    labels: BACKUP_LABELS,
    // Its own gp3 volume, created with the pod: a large dump never fills the node's disk.
    scratch: { name: "backup", mountPath: "/backup", GiB: args.scratchGiB },
    backoffLimit: 2,
    activeDeadlineSeconds: 3 * 3600,
    steps: [
      {
        name: "dump",
        image: args.images.postgres,
        command: ["/bin/sh", "/scripts/backup.sh", "dump"],
        env: dumpEnv,
        extraMounts: [{ name: "rds-ca", mountPath: args.databaseCa.mountDir, readOnly: true }],
        resources,
      },
      // The same uid as the dump: its files are private (umask 077).
      {
        name: "upload",
        image: args.images.awsCli,
        command: ["/bin/sh", "/scripts/backup.sh", "upload"],
        env: uploadEnv,
        resources,
      },
    ],
    extraVolumes: [{ name: "rds-ca", configMap: { name: args.databaseCa.configMap, defaultMode: 0o444 } }],
  });
}

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

/** scripts/backup.sh and scripts/restore.sh, as the CronJob mounts them (the files the tests run). */
export function backupScripts(): Record<string, string> {
  return Object.fromEntries(
    ["backup.sh", "restore.sh", "lib.sh"].map((file) => [
      file,
      fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8"),
    ]),
  );
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
      {
        Sid: "EncryptBackupsThroughS3",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"],
        Resource: "*",
        // With S3 Bucket Keys on, the encryption context is the bucket's ARN, not the object's.
        Condition: {
          StringEquals: {
            "kms:ViaService": `s3.${region}.amazonaws.com`,
            "kms:EncryptionContext:aws:s3:arn": bucketArn,
          },
        },
      },
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

const restricted = (uid: number) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
});

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
  const mounts = [
    { name: "backup", mountPath: "/backup" },
    { name: "tmp", mountPath: "/tmp" },
    { name: "scripts", mountPath: "/scripts", readOnly: true },
  ];
  const resources = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } };
  return {
    schedule: args.schedule,
    timeZone: args.timeZone,
    concurrencyPolicy: "Forbid",
    startingDeadlineSeconds: 3600,
    // A finished job's pod, and with it its scratch volume, goes within the hour: backup.sh deletes
    // the dump once it is uploaded (or the upload failed), and the volume is not kept around either.
    // The alert reads the CronJob's last success (kube_cronjob_status_last_successful_time), not
    // the jobs kept; their logs are shipped (components/audit/containerLogs.ts).
    successfulJobsHistoryLimit: 1,
    failedJobsHistoryLimit: 1,
    jobTemplate: {
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: 3 * 3600,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: { labels: BACKUP_LABELS, annotations: { [CONFIG_CHECKSUM]: args.configChecksum } },
          spec: {
            serviceAccountName: args.serviceAccountName,
            automountServiceAccountToken: false,
            restartPolicy: "Never",
            securityContext: {
              runAsNonRoot: true,
              fsGroup: POSTGRES_UID,
              seccompProfile: { type: "RuntimeDefault" },
            },
            initContainers: [
              {
                name: "dump",
                image: args.images.postgres,
                command: ["/bin/sh", "/scripts/backup.sh", "dump"],
                env: dumpEnv,
                volumeMounts: [
                  ...mounts,
                  { name: "rds-ca", mountPath: args.databaseCa.mountDir, readOnly: true },
                ],
                resources,
                securityContext: restricted(POSTGRES_UID),
              },
            ],
            containers: [
              {
                name: "upload",
                image: args.images.awsCli,
                command: ["/bin/sh", "/scripts/backup.sh", "upload"],
                env: uploadEnv,
                volumeMounts: mounts,
                resources,
                // The same uid as the dump: its files are private (umask 077).
                securityContext: restricted(POSTGRES_UID),
              },
            ],
            volumes: [
              // Its own gp3 volume, created with the pod: a large dump never fills the node's disk.
              // The claim goes with the pod, and the class's `reclaimPolicy: Delete` takes the EBS
              // volume (a full copy of patients' data) with it.
              {
                name: "backup",
                ephemeral: {
                  volumeClaimTemplate: {
                    metadata: { labels: BACKUP_LABELS },
                    spec: {
                      accessModes: ["ReadWriteOnce"],
                      storageClassName: args.scratchStorageClass,
                      resources: { requests: { storage: `${args.scratchGiB}Gi` } },
                    },
                  },
                },
              },
              { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
              { name: "scripts", configMap: { name: args.scriptsConfigMap, defaultMode: 0o555 } },
              { name: "rds-ca", configMap: { name: args.databaseCa.configMap, defaultMode: 0o444 } },
            ],
          },
        },
      },
    },
  };
}

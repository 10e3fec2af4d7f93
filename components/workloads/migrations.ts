import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_CHECKSUM, sha256Hex } from "../checksum";
import { kubernetesLabels, REPLACE_UNREADY } from "../names";
import { APP_UID, databaseCaVolume, RESTRICTED_CONTAINER } from "./spec";

// The api's Prisma migrations as a Job the api and worker roll out after. How it behaves on a real
// cluster follows from the Pulumi Kubernetes provider (provider/pkg/provider/provider.go, Diff;
// batch/v1 Job's await docs in @pulumi/kubernetes):
// - A Job's pod template is immutable, so a changed spec is a replacement. The name carries a hash
//   of the whole spec, so the replacement has a new name and Pulumi creates it before deleting the
//   old one (no 409 AlreadyExists); no `deleteBeforeReplace` option overrides that choice.
// - Pulumi awaits a Job until Complete or Failed, 10 minutes by default: the custom timeout outlasts
//   the Job's own deadline, so a slow migration fails as the Job's failure, not Pulumi's timeout.
// - A Job that failed stays in the state as unready; `pulumi.com/replaceUnready` makes the next
//   `up` replace it (same name: the provider then deletes first) instead of awaiting it forever.

/** How long the migrations may run, retries included (the Job's activeDeadlineSeconds). */
export const MIGRATION_DEADLINE_SECONDS = 900;
/** Pulumi's await on the Job (create and update): the deadline plus time to schedule and pull. */
export const MIGRATION_AWAIT_TIMEOUT = "20m";

const LABELS = kubernetesLabels("healthflow-api-migrate", "migrations");

/**
 * The Prisma CLI inside the api's image (the guide's WORKDIR /app, whose node_modules the image
 * copies): run by path, so a missing CLI fails the Job at once. `npx prisma` fetches the newest
 * Prisma from the registry when the image has none (npm exec assumes --yes without a TTY), and even
 * `npx --no` asks the registry first.
 */
export const PRISMA_CLI = ["node_modules/.bin/prisma"];

export interface MigrationJobArgs {
  /** The api's image: it carries the Prisma schema and migrations. */
  image: string;
  /** The ConfigMap and Secret the api reads its environment from (DATABASE_URL among them). */
  configMapName: string;
  secretName: string;
  /** The RDS CA bundle's ConfigMap (by name: the spec is hashed) and where DATABASE_URL expects it. */
  databaseCa: { configMap: string; mountDir: string };
  /** The checksum of what it reads (components/checksum.ts): a changed value is a new Job, run again. */
  configChecksum: pulumi.Input<string>;
  /** The registry's pull Secret, when the images are private. Default: none. */
  imagePullSecrets?: { name: string }[];
}

/** The Job's spec: one retry, the deadline, the api's image and environment, hardened like the apps. */
export function migrationJobSpec(args: MigrationJobArgs): k8s.types.input.batch.v1.JobSpec {
  const ca = databaseCaVolume(args.databaseCa);
  return {
    backoffLimit: 1,
    activeDeadlineSeconds: MIGRATION_DEADLINE_SECONDS,
    template: {
      metadata: { labels: LABELS, annotations: { [CONFIG_CHECKSUM]: args.configChecksum } },
      spec: {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        ...(args.imagePullSecrets?.length ? { imagePullSecrets: args.imagePullSecrets } : {}),
        securityContext: {
          runAsNonRoot: true,
          runAsUser: APP_UID,
          runAsGroup: APP_UID,
          seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
          {
            name: "migrate",
            image: args.image,
            // The image's own Prisma CLI: `npx prisma` downloads the newest one when the image has
            // none (pruned to production dependencies), which runs unpinned code against the database.
            command: [...PRISMA_CLI, "migrate", "deploy"],
            envFrom: [
              { configMapRef: { name: args.configMapName } },
              { secretRef: { name: args.secretName } },
            ],
            env: [{ name: "HOME", value: "/tmp" }],
            resources: {
              requests: { cpu: "250m", memory: "256Mi" },
              limits: { cpu: "1", memory: "512Mi" },
            },
            securityContext: RESTRICTED_CONTAINER,
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...ca.mounts],
          },
        ],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }, ...ca.volumes],
      },
    },
  };
}

/** healthflow-api-migrate-<10 hex of the spec's hash>: any change to the spec is a new name. */
export function migrationJobName(spec: k8s.types.input.batch.v1.JobSpec): string {
  return `healthflow-api-migrate-${sha256Hex(spec).slice(0, 10)}`;
}

/**
 * The Job's name, labels, annotations and spec (the namespace is the caller's). The name is known
 * once the checksum is (in a first preview, not before the database exists); the spec has it as
 * its one unknown value.
 */
export function migrationJob(args: MigrationJobArgs) {
  const spec = migrationJobSpec(args);
  return {
    name: pulumi
      .output(args.configChecksum)
      .apply((configChecksum) => migrationJobName(migrationJobSpec({ ...args, configChecksum }))),
    labels: LABELS,
    annotations: { [REPLACE_UNREADY]: "true" },
    spec,
  };
}

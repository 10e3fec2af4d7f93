import type * as k8s from "@pulumi/kubernetes";
import * as crypto from "crypto";
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
/** The annotation with which the provider replaces a Job that is not ready (failed) on the next update. */
export const REPLACE_UNREADY = "pulumi.com/replaceUnready";

const LABELS = { app: "healthflow-api-migrate", "app.kubernetes.io/part-of": "healthflow" };

export interface MigrationJobArgs {
  /** The api's image: it carries the Prisma schema and migrations. */
  image: string;
  /** The ConfigMap and Secret the api reads its environment from (DATABASE_URL among them). */
  configMapName: string;
  secretName: string;
  /** The RDS CA bundle's ConfigMap (by name: the spec is hashed) and where DATABASE_URL expects it. */
  databaseCa: { configMap: string; mountDir: string };
}

/** The Job's spec: one retry, the deadline, the api's image and environment, hardened like the apps. */
export function migrationJobSpec(args: MigrationJobArgs): k8s.types.input.batch.v1.JobSpec {
  const ca = databaseCaVolume(args.databaseCa);
  return {
    backoffLimit: 1,
    activeDeadlineSeconds: MIGRATION_DEADLINE_SECONDS,
    template: {
      metadata: { labels: LABELS },
      spec: {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
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
            command: ["npx", "prisma", "migrate", "deploy"],
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

/** JSON with object keys sorted, so equal specs hash equally whatever order they were built in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** healthflow-api-migrate-<10 hex of the spec's hash>: any change to the spec is a new name. */
export function migrationJobName(spec: k8s.types.input.batch.v1.JobSpec): string {
  const hash = crypto.createHash("sha256").update(canonicalJson(spec)).digest("hex");
  return `healthflow-api-migrate-${hash.slice(0, 10)}`;
}

/** The Job's name, labels, annotations and spec (the namespace is the caller's). */
export function migrationJob(args: MigrationJobArgs) {
  const spec = migrationJobSpec(args);
  return {
    name: migrationJobName(spec),
    labels: LABELS,
    annotations: { [REPLACE_UNREADY]: "true" },
    spec,
  };
}

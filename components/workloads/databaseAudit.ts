import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_UID } from "../backups/job";
import { CONFIG_CHECKSUM, sha256Hex } from "../checksum";
import { auditSql } from "../data/audit";
import { kubernetesLabels, REPLACE_UNREADY } from "../names";
import { databaseCaVolume, RESTRICTED_CONTAINER } from "./spec";

// The database's audit set-up (components/data/audit.ts) as a Job that runs the SQL as the database's
// owner after every migration Job: idempotent, so a re-run changes nothing; named from its spec like
// the migration Job (a changed SQL or image is a new Job; a failed one is replaced on the next up).

const LABELS = kubernetesLabels("healthflow-db-audit", "database-audit");

export interface DatabaseAuditJobArgs {
  /** A psql image of the database's major (the backups' `images.postgres`). */
  image: string;
  /** The database's owner (the RDS master user), who runs the migrations. */
  owner: string;
  /** The Secret with DATABASE_URL (verify-full, with the CA's path). */
  secretName: string;
  databaseCa: { configMap: string; mountDir: string };
  /** The checksum of what it reads (components/checksum.ts): a changed password is a new Job, run again. */
  configChecksum: pulumi.Input<string>;
}

export function databaseAuditJobSpec(args: DatabaseAuditJobArgs): k8s.types.input.batch.v1.JobSpec {
  const ca = databaseCaVolume(args.databaseCa);
  return {
    backoffLimit: 2,
    activeDeadlineSeconds: 300,
    template: {
      metadata: { labels: LABELS, annotations: { [CONFIG_CHECKSUM]: args.configChecksum } },
      spec: {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: POSTGRES_UID,
          runAsGroup: POSTGRES_UID,
          seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
          {
            name: "audit",
            image: args.image,
            // One transaction (psql -c); ON_ERROR_STOP fails the Job on the first error.
            command: [
              "/bin/sh",
              "-c",
              'exec psql "$DATABASE_URL" --no-psqlrc -v ON_ERROR_STOP=1 -c "$AUDIT_SQL"',
            ],
            env: [
              {
                name: "DATABASE_URL",
                valueFrom: { secretKeyRef: { name: args.secretName, key: "DATABASE_URL" } },
              },
              { name: "AUDIT_SQL", value: auditSql(args.owner) },
            ],
            resources: {
              requests: { cpu: "100m", memory: "64Mi" },
              limits: { cpu: "500m", memory: "128Mi" },
            },
            securityContext: RESTRICTED_CONTAINER,
            volumeMounts: ca.mounts,
          },
        ],
        volumes: ca.volumes,
      },
    },
  };
}

/** healthflow-db-audit-<10 hex of the spec's hash>, known once the checksum is. */
export function databaseAuditJob(args: DatabaseAuditJobArgs) {
  const spec = databaseAuditJobSpec(args);
  return {
    name: pulumi
      .output(args.configChecksum)
      .apply(
        (configChecksum) =>
          `healthflow-db-audit-${sha256Hex(databaseAuditJobSpec({ ...args, configChecksum })).slice(0, 10)}`,
      ),
    labels: LABELS,
    annotations: { [REPLACE_UNREADY]: "true" },
    spec,
  };
}

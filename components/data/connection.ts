import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { pgauditParameters, PRELOADED_LIBRARIES } from "./audit";

/** The application database and its owner on RDS. */
export const DATABASE_NAME = "healthflow";
export const DATABASE_USER = "healthflow";

/** An RDS parameter: name, value, and when RDS applies it. */
export interface DatabaseParameter {
  name: string;
  value: string;
  applyMethod?: string;
}

/**
 * The PostgreSQL parameter group: TLS forced for every client, and enough logging to audit
 * access and find slow queries (LGPD art. 37 asks for records of processing), with no patient's
 * data in the logs: a logged statement's bind parameters are the patient's values, and PostgreSQL
 * logs them in full by default (`log_parameter_max_length` and `..._on_error` default to -1,
 * PostgreSQL docs, "Error Reporting and Logging"); 0 logs none.
 */
export function postgresParameters(): DatabaseParameter[] {
  return [
    { name: "rds.force_ssl", value: "1" },
    { name: "password_encryption", value: "scram-sha-256" },
    { name: "log_connections", value: "1" },
    { name: "log_disconnections", value: "1" },
    { name: "log_min_duration_statement", value: "1000" },
    { name: "log_parameter_max_length", value: "0" },
    { name: "log_parameter_max_length_on_error", value: "0" },
    { name: "log_lock_waits", value: "1" },
    { name: "log_temp_files", value: "0" },
    // pgaudit: a static parameter, applied at creation or at the next reboot (components/data/audit.ts).
    { name: "shared_preload_libraries", value: PRELOADED_LIBRARIES, applyMethod: "pending-reboot" },
    ...pgauditParameters(),
  ];
}

/**
 * How long WAL replay on a read replica waits for queries it conflicts with before cancelling
 * them, in ms. It also bounds how stale the replica's reads can get while replay waits.
 */
export const REPLICA_MAX_STANDBY_DELAY_MS = 300_000;

/**
 * A read replica's parameters: the primary's, plus what lets the nightly pg_dump (hours on a
 * large database) survive on a hot standby. `hot_standby_feedback` tells the primary which rows
 * the replica's snapshots still need, so its VACUUM keeps them instead of replaying removals that
 * cancel the dump (the default 30 s `max_standby_*_delay` and no feedback cancel any query
 * older than half a minute that meets one). The delays stay bounded: replay never stalls, and
 * the api's reads never lag, more than five minutes.
 */
export function replicaParameters(): DatabaseParameter[] {
  return [
    ...postgresParameters(),
    { name: "hot_standby_feedback", value: "1" },
    { name: "max_standby_streaming_delay", value: String(REPLICA_MAX_STANDBY_DELAY_MS) },
    { name: "max_standby_archive_delay", value: String(REPLICA_MAX_STANDBY_DELAY_MS) },
  ];
}

/** The RDS CA bundle as the apps and the backup job mount it. */
export interface DatabaseCa {
  /** Directory the ConfigMap holding the bundle is mounted at. */
  mountDir: string;
  /** The bundle's file name in that directory (the ConfigMap's key). */
  fileName: string;
  /** mountDir/fileName: what `sslrootcert` / PGSSLROOTCERT name. */
  path: string;
  /** The PEM bundle itself. */
  pem: string;
}

/** Where every pod that talks to PostgreSQL finds the RDS CA bundle. */
export const RDS_CA_MOUNT_DIR = "/etc/healthflow/rds-ca";

/**
 * AWS's RDS CA bundle for the region, vendored in components/data/rds-ca/ (its README says where
 * it comes from and how it was checked). Only sa-east-1 is vendored: the settings keep the data
 * there (LGPD).
 */
export function rdsCa(region: string): DatabaseCa {
  const fileName = `${region}-bundle.pem`;
  const file = path.join(__dirname, "rds-ca", fileName);
  if (!fs.existsSync(file)) {
    throw new Error(`no RDS CA bundle for ${region} in components/data/rds-ca/; vendor ${fileName} from AWS`);
  }
  return {
    mountDir: RDS_CA_MOUNT_DIR,
    fileName,
    path: `${RDS_CA_MOUNT_DIR}/${fileName}`,
    pem: fs.readFileSync(file, "utf8"),
  };
}

export interface ConnectionInputs {
  password: pulumi.Input<string>;
  primaryHost: pulumi.Input<string>;
  /** Absent without read replicas: reads then go to the primary. */
  replicaHost?: pulumi.Input<string>;
  redisHost: pulumi.Input<string>;
  redisAuthToken: pulumi.Input<string>;
  /** Where the pods find the RDS CA bundle: the server's certificate and host name are verified against it. */
  caPath: string;
}

/**
 * DATABASE_URL, DATABASE_READ_URL and REDIS_URL (TLS everywhere); secrets, as they carry
 * credentials. PostgreSQL's are libpq URIs with `sslmode=verify-full`: `require` encrypts but
 * accepts any certificate, so anyone who can answer for the host name reads every query.
 */
export function connectionUrls(c: ConnectionInputs) {
  const postgres = (host: pulumi.Input<string>) =>
    pulumi.secret(
      pulumi.interpolate`postgresql://${DATABASE_USER}:${c.password}@${host}:5432/${DATABASE_NAME}?sslmode=verify-full&sslrootcert=${c.caPath}`,
    );
  return {
    databaseUrl: postgres(c.primaryHost),
    databaseReadUrl: postgres(c.replicaHost ?? c.primaryHost),
    redisUrl: pulumi.secret(pulumi.interpolate`rediss://:${c.redisAuthToken}@${c.redisHost}:6379`),
  };
}

/**
 * The address RDS gives a DB instance named `identifier`, from the address of another instance of the
 * same account and region: `<identifier>.<suffix>.<region>.rds.amazonaws.com`, where the suffix "is a
 * unique identifier for a specific combination of AWS Region and AWS account ... [that] doesn't change"
 * (Amazon RDS User Guide, "Amazon RDS DB instances", Overview.DBInstance.html). RDS lower-cases
 * identifiers, and so the address.
 */
export function replicaAddress(knownAddress: string, knownIdentifier: string, identifier: string): string {
  const prefix = `${knownIdentifier.toLowerCase()}.`;
  if (!knownAddress.startsWith(prefix)) {
    throw new Error(`${knownAddress} is not the address of the DB instance ${knownIdentifier}`);
  }
  return `${identifier.toLowerCase()}.${knownAddress.slice(prefix.length)}`;
}

/** The ElastiCache parameter group family of an engine version: valkey8, redis7, ... */
export function cacheParameterFamily(engine: "valkey" | "redis", version: string): string {
  return `${engine}${version.split(".")[0]}`;
}

import * as pulumi from "@pulumi/pulumi";

/** The application database and its owner on RDS. */
export const DATABASE_NAME = "healthflow";
export const DATABASE_USER = "healthflow";

/**
 * The PostgreSQL 16 parameter group: TLS forced for every client, and enough logging to audit
 * access and find slow queries (LGPD art. 37 asks for records of processing).
 */
export function postgresParameters(): { name: string; value: string; applyMethod?: string }[] {
  return [
    { name: "rds.force_ssl", value: "1" },
    { name: "password_encryption", value: "scram-sha-256" },
    { name: "log_connections", value: "1" },
    { name: "log_disconnections", value: "1" },
    { name: "log_min_duration_statement", value: "1000" },
    { name: "log_lock_waits", value: "1" },
    { name: "log_temp_files", value: "0" },
    { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
  ];
}

export interface ConnectionInputs {
  password: pulumi.Input<string>;
  primaryHost: pulumi.Input<string>;
  /** Absent without read replicas: reads then go to the primary. */
  replicaHost?: pulumi.Input<string>;
  redisHost: pulumi.Input<string>;
  redisAuthToken: pulumi.Input<string>;
}

/** DATABASE_URL, DATABASE_READ_URL and REDIS_URL (TLS everywhere); secrets, as they carry credentials. */
export function connectionUrls(c: ConnectionInputs) {
  const postgres = (host: pulumi.Input<string>) =>
    pulumi.secret(
      pulumi.interpolate`postgresql://${DATABASE_USER}:${c.password}@${host}:5432/${DATABASE_NAME}?sslmode=require`,
    );
  return {
    databaseUrl: postgres(c.primaryHost),
    databaseReadUrl: postgres(c.replicaHost ?? c.primaryHost),
    redisUrl: pulumi.secret(pulumi.interpolate`rediss://:${c.redisAuthToken}@${c.redisHost}:6379`),
  };
}

/** The ElastiCache parameter group family of an engine version: valkey8, redis7, ... */
export function cacheParameterFamily(engine: "valkey" | "redis", version: string): string {
  return `${engine}${version.split(".")[0]}`;
}

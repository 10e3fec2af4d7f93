// pgaudit on RDS for PostgreSQL: who read or changed which table, in the database's own log (which
// RDS exports to CloudWatch Logs). As the RDS user guide's "Using pgAudit to log database activity"
// sets it up: the library preloaded (a static parameter: RDS applies it at the instance's next
// reboot; a new instance starts with it), `pgaudit.role` naming the role whose privileges say which
// objects are audited (`rds_pgaudit`), and the extension created in the database.

/** The role whose grants select the audited objects (pgaudit's object audit logging). */
export const AUDIT_ROLE = "rds_pgaudit";

/**
 * The parameter group's pgaudit settings: session logging of DDL and role changes, object logging of
 * every statement on a table the audit role was granted, never a statement's parameters (the
 * patients' values) and no catalog noise (pgaudit's README, "Settings").
 */
export function pgauditParameters(): { name: string; value: string }[] {
  return [
    { name: "pgaudit.log", value: "ddl,role" },
    { name: "pgaudit.role", value: AUDIT_ROLE },
    { name: "pgaudit.log_parameter", value: "0" },
    { name: "pgaudit.log_catalog", value: "0" },
  ];
}

/** shared_preload_libraries with pgaudit (RDS: applied at the next reboot, "pending-reboot"). */
export const PRELOADED_LIBRARIES = "pg_stat_statements,pgaudit";

/**
 * What the audit Job runs as the database's owner, idempotently: the extension, the audit role, and
 * its grants on every table of the application schema, today's and those `owner` (who runs the
 * migrations) creates later. A grant to the audit role gives no one access: it cannot log in.
 */
export function auditSql(owner: string): string {
  const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
  return [
    "CREATE EXTENSION IF NOT EXISTS pgaudit;",
    "DO $$ BEGIN",
    `  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${AUDIT_ROLE}') THEN`,
    `    CREATE ROLE ${AUDIT_ROLE} NOLOGIN;`,
    "  END IF;",
    "END $$;",
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${AUDIT_ROLE};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${quote(owner)} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${AUDIT_ROLE};`,
    "",
  ].join("\n");
}

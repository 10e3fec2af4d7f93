/**
 * pgaudit (issue 30, point 2) on a real PostgreSQL with Debian's pgaudit: the parameter group's
 * settings in postgresql.conf (RDS's own left out), the planned audit Job's SQL run twice as the
 * database's owner, and the app's statements sent as the apps send them (pgbench, extended protocol, the
 * patient's value a bind parameter); the server's log read back.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AUDIT_ROLE } from "../../../components/data/audit";
import { find } from "../../harness";
import { knownRun } from "../../harness/plans";
import { postgresParameters, DATABASE_USER } from "../../../components/data/connection";
import { run, startPostgres, type Postgres } from "../../scripts/services";

const PATIENT = "JOAO-PEREIRA-CPF-11144477735";
const OWNER_PASSWORD = "owner-password-for-the-test";

/** The parameter group as postgresql.conf, with RDS's default log_line_prefix (it names the user). */
const conf = [
  ...postgresParameters()
    .filter((p) => !p.name.startsWith("rds."))
    .map((p) => `${p.name} = '${p.value}'`),
  "log_line_prefix = '%t:%r:%u@%d:[%p]:'",
];

let pg: Postgres;
let root: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-pgaudit-"));
  pg = await startPostgres(root, conf);
  // The RDS master user: owns the database and its tables (the migrations run as it).
  await pg.psql(
    "postgres",
    `CREATE ROLE ${DATABASE_USER} LOGIN PASSWORD '${OWNER_PASSWORD}' CREATEROLE; CREATE DATABASE healthflow OWNER ${DATABASE_USER};`,
  );
  const owner = { user: DATABASE_USER, password: OWNER_PASSWORD };
  await pg.psql("healthflow", "CREATE TABLE patients (id int PRIMARY KEY, name text, cpf text);", owner);
  // The extension needs a superuser on plain PostgreSQL (RDS lets its master user create it).
  await pg.psql("healthflow", "CREATE EXTENSION IF NOT EXISTS pgaudit;");
  // The SQL the planned audit Job runs (its AUDIT_SQL), twice: the Job runs on every change and retry.
  const job = find(knownRun("staging").resources, "kubernetes:batch/v1:Job", "db-audit").inputs as any;
  const [container] = job.spec.template.spec.containers;
  const sql = container.env.find((e: { name: string }) => e.name === "AUDIT_SQL").value as string;
  for (let i = 0; i < 2; i++) await pg.psql("healthflow", sql, owner);
  await pg.psql("healthflow", "CREATE TABLE appointments (id int PRIMARY KEY, patient int);", owner);
}, 60_000);

afterAll(async () => {
  await pg?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

async function asApp(sql: string): Promise<string> {
  const script = path.join(root, `app-${Math.random().toString(36).slice(2)}.sql`);
  fs.writeFileSync(script, `${sql}\n`);
  fs.chmodSync(root, 0o755);
  fs.chmodSync(script, 0o644);
  const before = fs.readFileSync(pg.logFile, "utf8").length;
  const result = await run(
    path.join(pg.bin, "pgbench"),
    [
      ...["-n", "-M", "extended", "-t", "1", "-f", script, "-D", `patient=${PATIENT}`],
      ...["-h", "127.0.0.1", "-p", String(pg.port), "-U", DATABASE_USER, "healthflow"],
    ],
    { env: { ...pg.clientEnv, PGPASSWORD: OWNER_PASSWORD } },
  );
  expect(result.code).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return fs.readFileSync(pg.logFile, "utf8").slice(before);
}

test("a read and a write of a patient's row are audited with role, class and table, without the value", async () => {
  const log = await asApp(
    "SELECT name FROM patients WHERE cpf = :patient;\nUPDATE patients SET name = :patient WHERE id = 1;",
  );
  const audit = log.split("\n").filter((line) => line.includes("AUDIT: OBJECT"));
  expect(
    audit.some(
      (l) =>
        l.includes(`${DATABASE_USER}@healthflow`) &&
        /AUDIT: OBJECT,\d+,\d+,READ,SELECT,TABLE,public\.patients,/.test(l),
    ),
  ).toBe(true);
  expect(
    audit.some(
      (l) =>
        l.includes(`${DATABASE_USER}@healthflow`) &&
        /AUDIT: OBJECT,\d+,\d+,WRITE,UPDATE,TABLE,public\.patients,/.test(l),
    ),
  ).toBe(true);
  expect(log).not.toContain(PATIENT);
});

test("a table the migrations create later is audited too (default privileges)", async () => {
  const log = await asApp("SELECT count(*) FROM appointments WHERE patient = 1;");
  expect(log).toMatch(/AUDIT: OBJECT,\d+,\d+,READ,SELECT,TABLE,public\.appointments,/);
});

test("DDL and role changes are audited as session events", async () => {
  const log = await asApp(
    "CREATE TABLE notes (id int);\nALTER ROLE healthflow SET statement_timeout = '60s';",
  );
  expect(log).toMatch(/AUDIT: SESSION,\d+,\d+,DDL,CREATE TABLE,/);
  expect(log).toMatch(/AUDIT: SESSION,\d+,\d+,ROLE,ALTER ROLE,/);
});

test("the audit role can log in to nothing: its grants only select what is audited", async () => {
  expect(await pg.psql("postgres", `SELECT rolcanlogin FROM pg_roles WHERE rolname = '${AUDIT_ROLE}';`)).toBe(
    "f",
  );
});

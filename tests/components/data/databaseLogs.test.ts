/**
 * The database's logs on a real PostgreSQL (issue 30, points 1 and 2), one cluster for both: the
 * parameter group's settings in postgresql.conf (RDS's own rds.* left out; pgaudit from Debian's
 * package), with RDS's default log_line_prefix (it names the user), and statements sent as the apps
 * send them (pgbench -M extended, as Prisma does: the patient's value a bind parameter); the server's
 * own log read back.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AUDIT_ROLE } from "../../../components/data/audit";
import { DATABASE_USER, postgresParameters, replicaParameters } from "../../../components/data/connection";
import { find } from "../../harness";
import { knownRun } from "../../harness/plans";
import { run, startPostgres, type Postgres } from "../../scripts/services";

/** A value no log may hold: what a patient's name and CPF look like in a bind parameter. */
const PATIENT = "MARIA-DA-SILVA-CPF-52998224725";
const OWNER_PASSWORD = "owner-password-for-the-test";

const conf = [
  ...postgresParameters()
    .filter((p) => !p.name.startsWith("rds."))
    .map((p) => `${p.name} = '${p.value}'`),
  "log_line_prefix = '%t:%r:%u@%d:[%p]:'",
];

let pg: Postgres;
let root: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-dblogs-"));
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

/**
 * Runs one pgbench transaction of `sql` with :patient bound as $1 and returns what the server logged;
 * `options` go to the session (PGOPTIONS). As the superuser, on the postgres database, unless `asOwner`.
 */
async function send(sql: string, options = "", asOwner = false): Promise<string> {
  const script = path.join(root, `script-${Math.random().toString(36).slice(2)}.sql`);
  fs.writeFileSync(script, `${sql}\n`);
  fs.chmodSync(root, 0o755);
  fs.chmodSync(script, 0o644);
  const before = fs.readFileSync(pg.logFile, "utf8").length;
  const [user, database, password] = asOwner
    ? [DATABASE_USER, "healthflow", OWNER_PASSWORD]
    : ["postgres", "postgres", pg.clientEnv.PGPASSWORD];
  const result = await run(
    path.join(pg.bin, "pgbench"),
    [
      ...["-n", "-M", "extended", "-t", "1", "-f", script, "-D", `patient=${PATIENT}`],
      ...["-h", "127.0.0.1", "-p", String(pg.port), "-U", user, database],
    ],
    { env: { ...pg.clientEnv, PGPASSWORD: password, PGOPTIONS: options } },
  );
  expect([sql, result.code === 0 || /division by zero/.test(result.stderr)]).toEqual([sql, true]);
  // The server writes the log line as the statement ends; give it a moment to reach the file.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return fs.readFileSync(pg.logFile, "utf8").slice(before);
}

describe("no patient's value in the logs (log_parameter_max_length 0)", () => {
  // Every statement counts as slow for the session (log_min_duration_statement 0, as a superuser may
  // set it): the group's 1 s threshold picks which statements are logged, not how; no test sleeps past it.
  const slow = "-c log_min_duration_statement=0";

  test("a slow statement is logged with its text and duration, never its parameters", async () => {
    const log = await send("SELECT lower(:patient::text);", slow);
    expect(log).toMatch(/duration: \d+\.\d+ ms {2}execute \S+: SELECT lower\(\$1::text\);/);
    expect(log).not.toContain(PATIENT);
  });

  test("a failing statement is logged without its parameters", async () => {
    const log = await send("SELECT 1/0, :patient::text;", slow);
    expect(log).toMatch(/ERROR: {2}division by zero/);
    expect(log).not.toContain(PATIENT);
  });

  test("without the settings PostgreSQL would log the value: the test sees what it guards against", async () => {
    // The server's defaults (-1: in full), for this session only (a superuser may set them).
    const log = await send(
      "SELECT lower(:patient::text);",
      `${slow} -c log_parameter_max_length=-1 -c log_parameter_max_length_on_error=-1`,
    );
    expect(log).toContain(`DETAIL:  parameters: $1 = '${PATIENT}'`);
    const failing = await send(
      "SELECT 1/0, :patient::text;",
      `${slow} -c log_parameter_max_length_on_error=-1`,
    );
    expect(failing).toContain(`$1 = '${PATIENT}'`);
  });

  test("the read replica's group logs no parameters either", () => {
    const replica = Object.fromEntries(replicaParameters().map((p) => [p.name, p.value]));
    expect([replica.log_parameter_max_length, replica.log_parameter_max_length_on_error]).toEqual(["0", "0"]);
  });
});

describe("pgaudit: who read or changed which table", () => {
  test("a read and a write of a patient's row are audited with role, class and table, without the value", async () => {
    const log = await send(
      "SELECT name FROM patients WHERE cpf = :patient;\nUPDATE patients SET name = :patient WHERE id = 1;",
      "",
      true,
    );
    const audit = log.split("\n").filter((line) => line.includes("AUDIT: OBJECT"));
    const by = (pattern: RegExp) =>
      audit.some((l) => l.includes(`${DATABASE_USER}@healthflow`) && pattern.test(l));
    expect(by(/AUDIT: OBJECT,\d+,\d+,READ,SELECT,TABLE,public\.patients,/)).toBe(true);
    expect(by(/AUDIT: OBJECT,\d+,\d+,WRITE,UPDATE,TABLE,public\.patients,/)).toBe(true);
    expect(log).not.toContain(PATIENT);
  });

  test("a table the migrations create later is audited too (default privileges)", async () => {
    const log = await send("SELECT count(*) FROM appointments WHERE patient = 1;", "", true);
    expect(log).toMatch(/AUDIT: OBJECT,\d+,\d+,READ,SELECT,TABLE,public\.appointments,/);
  });

  test("DDL and role changes are audited as session events", async () => {
    const log = await send(
      "CREATE TABLE notes (id int);\nALTER ROLE healthflow SET statement_timeout = '60s';",
      "",
      true,
    );
    expect(log).toMatch(/AUDIT: SESSION,\d+,\d+,DDL,CREATE TABLE,/);
    expect(log).toMatch(/AUDIT: SESSION,\d+,\d+,ROLE,ALTER ROLE,/);
  });

  test("the audit role can log in to nothing: its grants only select what is audited", async () => {
    expect(
      await pg.psql("postgres", `SELECT rolcanlogin FROM pg_roles WHERE rolname = '${AUDIT_ROLE}';`),
    ).toBe("f");
  });
});

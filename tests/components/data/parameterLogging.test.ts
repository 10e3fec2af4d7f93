/**
 * No patient's data in the database's logs (issue 30, point 1), on a real PostgreSQL: the parameter
 * group's logging settings in its postgresql.conf, a slow statement and a failing one sent as the apps
 * send them (extended protocol, the patient's value a bind parameter: pgbench -M extended, as Prisma
 * does), and the server's own log read back.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { postgresParameters, replicaParameters } from "../../../components/data/connection";
import { run, startPostgres, type Postgres } from "../../scripts/services";

/** A value no log may hold: what a patient's name and CPF look like in a bind parameter. */
const PATIENT = "MARIA-DA-SILVA-CPF-52998224725";

/** The parameter group as postgresql.conf lines; RDS's own (rds.*) and the preloaded libraries left out. */
const conf = postgresParameters()
  .filter((p) => !p.name.startsWith("rds.") && p.name !== "shared_preload_libraries")
  .map((p) => `${p.name} = '${p.value}'`);

let pg: Postgres;
let root: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-pglog-"));
  pg = await startPostgres(root, conf);
}, 60_000);

afterAll(async () => {
  await pg?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

/**
 * Runs one pgbench transaction of `sql` with :patient bound as $1; PGOPTIONS for the session. Every
 * statement counts as slow (log_min_duration_statement 0 for the session, as a superuser may set it):
 * the group's 1 s threshold picks which statements are logged, not how, and no test sleeps past it.
 */
async function send(sql: string, options = "") {
  const script = path.join(root, `script-${Math.random().toString(36).slice(2)}.sql`);
  fs.writeFileSync(script, `${sql}\n`);
  fs.chmodSync(root, 0o755);
  fs.chmodSync(script, 0o644);
  const before = fs.readFileSync(pg.logFile, "utf8").length;
  await run(
    path.join(pg.bin, "pgbench"),
    [
      ...["-n", "-M", "extended", "-t", "1", "-f", script, "-D", `patient=${PATIENT}`],
      ...["-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "postgres"],
    ],
    { env: { ...pg.clientEnv, PGOPTIONS: `-c log_min_duration_statement=0 ${options}` } },
  );
  // The server writes the log line as the statement ends; give it a moment to reach the file.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return fs.readFileSync(pg.logFile, "utf8").slice(before);
}

test("a slow statement is logged with its text and duration, never its parameters", async () => {
  const log = await send("SELECT lower(:patient::text);");
  expect(log).toMatch(/duration: \d+\.\d+ ms {2}execute \S+: SELECT lower\(\$1::text\);/);
  expect(log).not.toContain(PATIENT);
});

test("a failing statement is logged without its parameters", async () => {
  const log = await send("SELECT 1/0, :patient::text;");
  expect(log).toMatch(/ERROR: {2}division by zero/);
  expect(log).not.toContain(PATIENT);
});

test("without the settings PostgreSQL would log the value: the test sees what it guards against", async () => {
  // The server's defaults (-1: in full), for this session only (a superuser may set them).
  const log = await send(
    "SELECT lower(:patient::text);",
    "-c log_parameter_max_length=-1 -c log_parameter_max_length_on_error=-1",
  );
  expect(log).toContain(`DETAIL:  parameters: $1 = '${PATIENT}'`);
  const failing = await send("SELECT 1/0, :patient::text;", "-c log_parameter_max_length_on_error=-1");
  expect(failing).toContain(`$1 = '${PATIENT}'`);
});

test("the read replica's group logs no parameters either", () => {
  const replica = Object.fromEntries(replicaParameters().map((p) => [p.name, p.value]));
  expect([replica.log_parameter_max_length, replica.log_parameter_max_length_on_error]).toEqual(["0", "0"]);
});

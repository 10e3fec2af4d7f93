// scripts/backup.sh and scripts/restore.sh against a real PostgreSQL and a real S3-compatible
// server (s3rver), all on 127.0.0.1: a full round trip, and every way they must refuse.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  certificateAuthority,
  postgresBinDir,
  requireTool,
  run,
  startPostgres,
  startS3,
  type Postgres,
  type RunResult,
  type S3,
} from "./services";

const SCRIPTS = path.resolve(__dirname, "../../scripts");
const BACKUP = path.join(SCRIPTS, "backup.sh");
const RESTORE = path.join(SCRIPTS, "restore.sh");
const BUCKET = "healthflow-backups-test";
const KMS_KEY = "arn:aws:kms:sa-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const DB = "healthflow";
const APP = { user: "healthflow_backup", password: `pw-${Math.random().toString(36).slice(2)}-ção` };

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

const DATA_SET = `
CREATE TABLE patients (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  full_name text NOT NULL,
  city text,
  birth_date date,
  notes text,
  photo bytea,
  created_at timestamptz NOT NULL
);
CREATE TABLE appointments (
  id bigserial PRIMARY KEY,
  patient_id integer NOT NULL REFERENCES patients (id),
  scheduled_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('agendada', 'concluída', 'cancelada')),
  summary text
);
CREATE INDEX appointments_patient_id ON appointments (patient_id);
INSERT INTO patients (full_name, city, birth_date, notes, photo, created_at)
SELECT (ARRAY['João', 'Maria da Conceição', 'José', 'Ana Lúcia', 'Zé 🩺'])[1 + i % 5] || ' ' || i,
       (ARRAY['São Paulo', 'Florianópolis', 'Belém', NULL])[1 + i % 4],
       date '1950-01-01' + (i * 7) % 25000,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'ação nº ' || i || E'\\tobservação "entre aspas", barra \\\\ e\\nlinha' END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE decode(md5(i::text), 'hex') || '\\x00ff00'::bytea END,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '37 minutes'
FROM generate_series(1, 3000) AS i;
INSERT INTO appointments (patient_id, scheduled_at, status, summary)
SELECT 1 + j % 3000,
       timestamptz '2025-03-01 08:00:00-03' + j * interval '20 minutes',
       (ARRAY['agendada', 'concluída', 'cancelada'])[1 + j % 3],
       CASE WHEN j % 4 = 0 THEN NULL ELSE 'retorno em ' || j % 90 || ' dias; prescrição renovada' END
FROM generate_series(1, 6000) AS j;
DELETE FROM appointments WHERE id > 5990; -- the sequence must come back ahead of max(id)
`;

// Row count + an md5 over every row's text form, per table, and where each sequence stands.
const FINGERPRINT = `
SELECT json_build_object(
  'patients', (SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM patients t),
  'appointments', (SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM appointments t),
  'patients_seq', (SELECT last_value FROM patients_id_seq),
  'appointments_seq', (SELECT last_value FROM appointments_id_seq)
);`;

let root: string;
let pg: Postgres;
let s3: S3;
let scriptPath: string;
let original: string;
const outputs: RunResult[] = [];

const fingerprint = () => pg.psql(DB, FINGERPRINT, APP);

/** The scripts' whole environment: nothing inherited, so no proxy, profile or real credential leaks in. */
function scriptEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    PATH: scriptPath,
    HOME: path.join(root, "home"),
    TMPDIR: path.join(root, "tmp"),
    TZ: "UTC",
    DB_HOST: "127.0.0.1",
    DB_PORT: String(pg.port),
    DB_USER: APP.user,
    DB_NAME: DB,
    PGPASSWORD: APP.password,
    PGCONNECT_TIMEOUT: "5",
    // The CA that signed the server's certificate, as the CronJob mounts AWS's RDS bundle; the
    // scripts' default PGSSLMODE (verify-full) checks the chain and the host name against it.
    PGSSLROOTCERT: pg.caFile,
    BACKUP_BUCKET: BUCKET,
    BACKUP_KMS_KEY_ID: KMS_KEY,
    // Debian's aws cli 2.9 ignores AWS_ENDPOINT_URL (added in 2.13): the scripts pass
    // S3_ENDPOINT_URL as --endpoint-url. AWS_ENDPOINT_URL only keeps a newer cli on loopback too.
    S3_ENDPOINT_URL: s3.endpoint,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "sa-east-1",
    AWS_DEFAULT_REGION: "sa-east-1",
    AWS_CONFIG_FILE: path.join(root, "home", "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(root, "home", "no-aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
    // Anything the cli tried to send elsewhere than loopback would hit a closed port.
    HTTP_PROXY: "http://127.0.0.1:9",
    HTTPS_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
}

// BACKUP_TEST_SHELL=/path/to/sh runs the scripts with another POSIX shell (busybox sh, bash as sh).
async function script(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const shell = process.env.BACKUP_TEST_SHELL;
  const result = shell
    ? await run(shell, [file, ...args], { env, timeoutMs: 15_000 })
    : await run(file, args, { env, timeoutMs: 15_000 });
  outputs.push(result);
  if (process.env.SHOW_SCRIPT_OUTPUT)
    console.log(`${path.basename(file)} ${args.join(" ")}\n${show(result)}`);
  return result;
}

const without = (names: string[]) => Object.fromEntries(names.map((name) => [name, undefined]));
/** What the initContainer (postgres image) gets: the database, no bucket, no AWS credentials. */
const dumpContainerEnv = (dir: string, overrides: Record<string, string | undefined> = {}) =>
  scriptEnv({
    BACKUP_DIR: dir,
    ...without(["BACKUP_BUCKET", "BACKUP_KMS_KEY_ID", "S3_ENDPOINT_URL", "AWS_ENDPOINT_URL"]),
    ...without(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]),
    ...overrides,
  });
/** What the upload container (aws-cli image) gets: the bucket, no database, no password. */
const uploadContainerEnv = (dir: string, overrides: Record<string, string | undefined> = {}) =>
  scriptEnv({
    BACKUP_DIR: dir,
    ...without(["DB_HOST", "DB_PORT", "DB_USER", "DB_NAME", "PGPASSWORD", "PGCONNECT_TIMEOUT"]),
    ...overrides,
  });

/** A TCP listener standing in for a database: counts connections, and either hangs up or stays silent. */
async function fakeDatabase(behaviour: "hang up" | "stay silent") {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    if (behaviour === "hang up") socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const freshDir = (name: string) => fs.mkdtempSync(path.join(root, `${name}-`));
const dumpsIn = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith("healthflow_"));
const show = (r: RunResult) => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

beforeAll(async () => {
  // A missing tool fails the suite: CI installs postgresql, shellcheck and awscli from Debian.
  const pgBin = postgresBinDir();
  const aws = fs.existsSync("/usr/bin/aws") ? "/usr/bin/aws" : requireTool("aws");
  requireTool("shellcheck");
  requireTool("sha256sum");
  scriptPath = [...new Set([pgBin, path.dirname(aws), "/usr/bin", "/bin"])].join(":");

  root = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-backup-test-"));
  fs.mkdirSync(path.join(root, "home"));
  fs.mkdirSync(path.join(root, "tmp"));
  s3 = await startS3(root, BUCKET);
  pg = await startPostgres(root);
  await pg.psql(
    "postgres",
    `CREATE ROLE ${APP.user} LOGIN PASSWORD '${APP.password}';
     CREATE DATABASE ${DB} OWNER ${APP.user};`,
  );
  await pg.psql(DB, DATA_SET, APP);
  original = await fingerprint();
}, 20_000);

afterAll(async () => {
  const stopped = await Promise.allSettled([pg?.stop(), s3?.close()]);
  if (root) fs.rmSync(root, { recursive: true, force: true });
  for (const result of stopped) if (result.status === "rejected") throw result.reason;
});

test("shellcheck -s sh accepts the three scripts and their shared lib.sh; the scripts are executable", async () => {
  const LIB = path.join(path.dirname(BACKUP), "lib.sh");
  const DRILL = path.join(SCRIPTS, "drill.sh");
  // -x follows `. lib.sh`, so the functions the scripts call are checked where they are used.
  const result = await run("shellcheck", ["-x", "-s", "sh", BACKUP, RESTORE, DRILL, LIB]);
  expect(show(result)).toBe(show({ code: 0, stdout: "", stderr: "" }));
  for (const file of [BACKUP, RESTORE, DRILL]) expect(fs.statSync(file).mode & 0o111).toBe(0o111);
});

test("the data set is what the round trip must preserve", () => {
  const counts = JSON.parse(original);
  expect(counts.patients).toMatch(/^3000 [0-9a-f]{32}$/);
  expect(counts.appointments).toMatch(/^5990 [0-9a-f]{32}$/);
  expect(counts.appointments_seq).toBe(6000);
});

test("backup.sh all, drop the database, restore.sh s3://...: every row comes back", async () => {
  const dir = freshDir("roundtrip");
  const before = s3.cliRequests.length;
  const backup = await script(BACKUP, ["all"], scriptEnv({ BACKUP_DIR: dir, BACKUP_PREFIX: "roundtrip/" }));
  expect(backup.code).toBe(0);
  expect(backup.stderr).toBe("");

  // Locally: nothing left, neither the archive nor its sidecar nor a temp file (issue 31: no copy of
  // patients' data on the scratch disk once it is uploaded).
  expect(fs.readdirSync(dir)).toEqual([]);

  // In the bucket, under the prefix: one archive, its manifest and its sidecar, whose checksum is the archive's.
  const keys = await s3.keys("roundtrip/");
  expect(keys).toEqual([
    expect.stringMatching(/^roundtrip\/healthflow_\d{8}T\d{6}Z\.dump$/),
    `${keys[0]}.manifest`,
    `${keys[0]}.sha256`,
  ]);
  const name = keys[0].slice("roundtrip/".length);
  const archive = await s3.get(`roundtrip/${name}`);
  expect((await s3.get(`roundtrip/${name}.sha256`)).toString("utf8")).toBe(`${sha256(archive)}  ${name}\n`);
  // A custom-format pg_dump archive: its magic bytes (PostgreSQL's pg_backup_archiver.c, "PGDMP").
  expect(archive.subarray(0, 5).toString("latin1")).toBe("PGDMP");
  // The manifest: the archive's name and checksum, then each table's rows as the data set made them
  // (3,000 patients, 6,000 appointments less the 10 deleted), sorted.
  expect((await s3.get(`roundtrip/${name}.manifest`)).toString("utf8")).toBe(
    `# ${name} sha256 ${sha256(archive)}\npublic.appointments\t5990\npublic.patients\t3000\n`,
  );
  // Archive first, sidecar last; PutObject only (no list, no delete), each with the KMS key.
  const requests = s3.cliRequests.slice(before);
  expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
    `PUT /${BUCKET}/roundtrip/${name}`,
    `PUT /${BUCKET}/roundtrip/${name}.manifest`,
    `PUT /${BUCKET}/roundtrip/${name}.sha256`,
  ]);
  for (const put of requests) {
    expect(put.headers["x-amz-server-side-encryption"]).toBe("aws:kms");
    expect(put.headers["x-amz-server-side-encryption-aws-kms-key-id"]).toBe(KMS_KEY);
  }

  await pg.psql(
    "postgres",
    `DROP DATABASE ${DB} WITH (FORCE);
     CREATE DATABASE ${DB} OWNER ${APP.user};`,
  );
  expect(await pg.psql(DB, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public';", APP)).toBe("0");

  const restore = await script(RESTORE, [`s3://${BUCKET}/roundtrip/${name}`], scriptEnv());
  expect(show(restore)).toMatch(/^exit 0\n/);
  expect(await fingerprint()).toBe(original);
  expect(fs.readdirSync(path.join(root, "tmp"))).toEqual([]); // the download was cleaned up
});

describe("TLS: the scripts verify the server (PGSSLMODE defaults to verify-full)", () => {
  const wrongName = "db.wrong-name.test";

  test("a dump by the host name the certificate names succeeds", async () => {
    const dir = freshDir("tls-ok");
    const dump = await script(BACKUP, ["dump"], dumpContainerEnv(dir, { DB_HOST: "localhost" }));
    expect(show(dump)).toMatch(/^exit 0\n/);
    expect(dumpsIn(dir)).toHaveLength(3); // the archive, its manifest and its sidecar
  });

  test("a host name the certificate does not name is refused, although TLS alone would connect", async () => {
    // The right server at the right address, reached under another name: what a spoofed DNS
    // answer or a look-alike endpoint gives. PGHOSTADDR connects; DB_HOST is what is verified.
    const dir = freshDir("tls-wrong-name");
    const spoofed = { DB_HOST: wrongName, PGHOSTADDR: "127.0.0.1" };
    const refused = await script(BACKUP, ["dump"], dumpContainerEnv(dir, spoofed));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `server certificate for "localhost" \\(and 1 other name\\) does not match host name "${wrongName.replace(/\./g, "\\.")}"`,
      ),
    );
    expect(fs.readdirSync(dir)).toEqual([]);
    // What sslmode=require (the old setting) let through: the same connection dumps everything.
    const accepted = await script(
      BACKUP,
      ["dump"],
      dumpContainerEnv(dir, { ...spoofed, PGSSLMODE: "require" }),
    );
    expect(show(accepted)).toMatch(/^exit 0\n/);
  });

  test("a server whose certificate another CA signed is refused", async () => {
    const dir = freshDir("tls-other-ca");
    const other = await certificateAuthority(dir, "other");
    const refused = await script(BACKUP, ["dump"], dumpContainerEnv(dir, { PGSSLROOTCERT: other.cert }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/certificate verify failed/);
    expect(dumpsIn(dir)).toEqual([]);
  });

  test("without a CA bundle there is no connection at all", async () => {
    const dir = freshDir("tls-no-ca");
    const refused = await script(BACKUP, ["dump"], dumpContainerEnv(dir, { PGSSLROOTCERT: undefined }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/root certificate file ".*" does not exist/);
  });

  test("restore.sh verifies the server too, before it changes anything", async () => {
    const dir = freshDir("tls-restore");
    expect((await script(BACKUP, ["dump"], dumpContainerEnv(dir))).code).toBe(0);
    const [archive] = dumpsIn(dir).filter((f) => f.endsWith(".dump"));
    const restore = await script(
      RESTORE,
      [path.join(dir, archive)],
      scriptEnv({ DB_HOST: wrongName, PGHOSTADDR: "127.0.0.1" }),
    );
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/does not match host name/);
    expect(await fingerprint()).toBe(original);
  });
});

test.each([
  ["a closed port", "hang up"],
  ["a silent listener, after PGCONNECT_TIMEOUT", "stay silent"],
] as const)(
  "an unreachable database (%s) fails backup.sh all, leaving no archive and no object",
  async (_what, behaviour) => {
    const dir = freshDir("unreachable");
    const database = await fakeDatabase(behaviour);
    const before = s3.cliRequests.length;
    const started = performance.now();
    try {
      const result = await script(
        BACKUP,
        ["all"],
        scriptEnv({
          BACKUP_DIR: dir,
          BACKUP_PREFIX: "unreachable",
          DB_PORT: String(database.port),
          PGCONNECT_TIMEOUT: "2",
        }),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/pg_dump: error: connection to server at "127\.0\.0\.1"/);
      expect(database.connections()).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
    expect(performance.now() - started).toBeLessThan(6_000);
    expect(fs.readdirSync(dir)).toEqual([]); // not even the temp files
    expect(s3.cliRequests.length).toBe(before);
    expect(await s3.keys("unreachable/")).toEqual([]);
  },
);

test("backup.sh upload refuses an archive whose checksum no longer matches", async () => {
  const dir = freshDir("bitrot");
  const dump = await script(BACKUP, ["dump"], dumpContainerEnv(dir));
  expect(dump.code).toBe(0);
  const [name] = dumpsIn(dir);
  const file = path.join(dir, name);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 10] ^= 0xff; // bit rot on the shared volume between the two containers
  fs.writeFileSync(file, bytes);

  const before = s3.cliRequests.length;
  const upload = await script(BACKUP, ["upload"], uploadContainerEnv(dir, { BACKUP_PREFIX: "bitrot" }));
  expect(upload.code).toBe(1);
  expect(upload.stderr).toMatch(/checksum mismatch.*refusing to upload/);
  expect(s3.cliRequests.length).toBe(before);
  expect(await s3.keys("bitrot/")).toEqual([]);
  // Refused, and still nothing left on the scratch disk: the next attempt dumps afresh.
  expect(fs.readdirSync(dir)).toEqual([]);
});

test("a failed upload leaves no dump on the scratch disk; a dump alone keeps it for the upload container", async () => {
  const dir = freshDir("failed-upload");
  const dump = await script(BACKUP, ["dump"], dumpContainerEnv(dir));
  expect(dump.code).toBe(0);
  const [name] = dumpsIn(dir);
  expect(fs.readdirSync(dir).sort()).toEqual([name, `${name}.manifest`, `${name}.sha256`]);
  // A bucket that does not exist: the aws cli's PutObject fails (NoSuchBucket).
  const upload = await script(
    BACKUP,
    ["upload"],
    uploadContainerEnv(dir, { BACKUP_BUCKET: "no-such-bucket-here" }),
  );
  expect(upload.code).not.toBe(0);
  expect(fs.readdirSync(dir)).toEqual([]);
});

test("split like the CronJob: dump with only database env, upload the newest with only bucket env", async () => {
  const dir = freshDir("split");
  // An older, complete backup already in the directory must not be the one uploaded.
  const older = "healthflow_20000101T000000Z.dump";
  fs.writeFileSync(path.join(dir, older), "older");
  fs.writeFileSync(path.join(dir, `${older}.sha256`), `${sha256(Buffer.from("older"))}  ${older}\n`);
  const dump = await script(BACKUP, ["dump"], dumpContainerEnv(dir));
  expect(show(dump)).toMatch(/^exit 0\n/);
  const name = dumpsIn(dir).filter((f) => f.endsWith(".dump") && f !== older)[0];

  const before = s3.cliRequests.length;
  const upload = await script(BACKUP, ["upload"], uploadContainerEnv(dir, { BACKUP_KMS_KEY_ID: undefined }));
  expect(show(upload)).toMatch(/^exit 0\n/);
  expect(await s3.keys("postgres/")).toEqual([
    `postgres/${name}`,
    `postgres/${name}.manifest`,
    `postgres/${name}.sha256`,
  ]); // default prefix
  const requests = s3.cliRequests.slice(before);
  expect(requests.map((r) => r.method)).toEqual(["PUT", "PUT", "PUT"]); // PutObject only: no list, no delete
  for (const put of requests) {
    expect(put.headers["x-amz-server-side-encryption"]).toBe("aws:kms");
    expect(put.headers["x-amz-server-side-encryption-aws-kms-key-id"]).toBeUndefined(); // the aws/s3 key
  }
});

test("a tampered object makes restore.sh refuse before it connects to any database", async () => {
  // Tamper with a copy of the backup the previous test uploaded.
  const [name] = (await s3.keys("postgres/")).filter((k) => k.endsWith(".dump"));
  expect(name).toBeDefined();
  const bytes = await s3.get(name);
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  await s3.put(`tampered/${path.basename(name)}`, bytes);
  await s3.put(`tampered/${path.basename(name)}.sha256`, await s3.get(`${name}.sha256`));

  const database = await fakeDatabase("hang up");
  try {
    const restore = await script(
      RESTORE,
      [`s3://${BUCKET}/tampered/${path.basename(name)}`],
      scriptEnv({ DB_PORT: String(database.port) }),
    );
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/checksum mismatch.*refusing to restore/);
    expect(database.connections()).toBe(0);
  } finally {
    await database.close();
  }
  expect(fs.readdirSync(path.join(root, "tmp"))).toEqual([]);
});

test("restore.sh refuses a local archive without its .sha256 unless told to", async () => {
  const dir = freshDir("nosidecar");
  const archive = path.join(dir, "healthflow_20000101T000000Z.dump");
  fs.writeFileSync(archive, "not an archive");
  const database = await fakeDatabase("hang up");
  try {
    const refused = await script(RESTORE, [archive], scriptEnv({ DB_PORT: String(database.port) }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/has no healthflow_20000101T000000Z\.dump\.sha256 beside it/);
    const unreadable = await script(
      RESTORE,
      [archive],
      scriptEnv({ DB_PORT: String(database.port), RESTORE_ALLOW_UNVERIFIED: "1" }),
    );
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/not a readable pg_dump custom-format archive/);
    expect(database.connections()).toBe(0);
  } finally {
    await database.close();
  }
});

test("a truncated archive with a matching checksum fails mid-restore and changes nothing", async () => {
  const dir = freshDir("truncated");
  const dump = await script(BACKUP, ["dump"], scriptEnv({ BACKUP_DIR: dir }));
  expect(dump.code).toBe(0);
  const [name] = dumpsIn(dir);
  const file = path.join(dir, name);
  const bytes = fs.readFileSync(file).subarray(0, Math.floor(fs.statSync(file).size * 0.7));
  fs.writeFileSync(file, bytes); // the table of contents survives; table data does not
  fs.writeFileSync(`${file}.sha256`, `${sha256(bytes)}  ${name}\n`);

  const restore = await script(RESTORE, [file], scriptEnv());
  expect(restore.code).toBe(1);
  expect(restore.stderr).toMatch(/pg_restore failed; the transaction was rolled back/);
  expect(await fingerprint()).toBe(original);
});

describe("configuration errors exit 2 and say what is wrong", () => {
  test.each([
    ["dump without DB_HOST", BACKUP, ["dump"], { DB_HOST: undefined }, /DB_HOST/],
    [
      "all without DB_NAME and PGPASSWORD",
      BACKUP,
      ["all"],
      { PGPASSWORD: undefined, DB_NAME: "" },
      /DB_NAME PGPASSWORD/,
    ],
    [
      "all without BACKUP_BUCKET, before dumping",
      BACKUP,
      ["all"],
      { BACKUP_BUCKET: undefined },
      /BACKUP_BUCKET/,
    ],
    ["upload with an empty BACKUP_BUCKET", BACKUP, ["upload"], { BACKUP_BUCKET: "" }, /BACKUP_BUCKET/],
    ["dump with a bad DB_PORT", BACKUP, ["dump"], { DB_PORT: "54x" }, /DB_PORT must be a number/],
    ["backup.sh without a command", BACKUP, [], {}, /^Usage: backup\.sh dump\|upload\|all$/m],
    ["backup.sh with an unknown command", BACKUP, ["restore"], {}, /^Usage: backup\.sh dump\|upload\|all$/m],
    ["restore.sh without an argument", RESTORE, [], {}, /^Usage: restore\.sh <file \| s3:\/\/bucket\/key>$/m],
    ["restore.sh without DB_USER", RESTORE, ["/nonexistent.dump"], { DB_USER: undefined }, /DB_USER/],
    [
      "restore.sh with a bucket but no key",
      RESTORE,
      ["s3://bucket-only"],
      {},
      /not an s3:\/\/bucket\/key URL/,
    ],
    ["restore.sh with a prefix", RESTORE, [`s3://${BUCKET}/postgres/`], {}, /names a prefix, not an archive/],
  ] as const)("%s", async (_title, file, args, overrides, message) => {
    const dir = freshDir("config");
    const result = await script(file, [...args], scriptEnv({ BACKUP_DIR: dir, ...overrides }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe("the restore drill: the newest backup, restored into a throwaway PostgreSQL, checked against its manifest", () => {
  const DRILL = path.join(SCRIPTS, "drill.sh");
  /** What the drill's containers get: the bucket (fetch) and their scratch directory; no database, no password. */
  const drillEnv = (dir: string, prefix: string) =>
    scriptEnv({
      DRILL_DIR: dir,
      BACKUP_PREFIX: prefix,
      ...without([
        "DB_HOST",
        "DB_PORT",
        "DB_USER",
        "DB_NAME",
        "PGPASSWORD",
        "PGCONNECT_TIMEOUT",
        "BACKUP_KMS_KEY_ID",
      ]),
    });
  /** `check` as the CronJob runs it, not as root (initdb refuses root): the postgres OS user when we are root. */
  async function check(dir: string, prefix: string): Promise<RunResult> {
    const env = drillEnv(dir, prefix);
    if (process.getuid?.() !== 0) return script(DRILL, ["check"], env);
    const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
    const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
    fs.chownSync(dir, uid, gid);
    for (const f of fs.readdirSync(dir)) fs.chownSync(path.join(dir, f), uid, gid);
    const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const result = await run(
      "runuser",
      ["-u", "postgres", "--", "env", "-i", ...assignments, DRILL, "check"],
      {
        timeoutMs: 60_000,
      },
    );
    outputs.push(result);
    return result;
  }
  /** A backup as backup.sh makes it, under `prefix`; `edit` may change its files before they are uploaded. */
  /** One dump as backup.sh makes it (archive, manifest, checksum), made once for these tests. */
  let made: { dir: string; name: string } | undefined;
  async function dumpOnce() {
    if (!made) {
      const dir = freshDir("drill-backup");
      expect((await script(BACKUP, ["dump"], dumpContainerEnv(dir))).code).toBe(0);
      made = { dir, name: dumpsIn(dir).filter((f) => f.endsWith(".dump"))[0] };
    }
    return made;
  }
  /** The dump's three files in a fresh drill directory, as fetch leaves them; `edit` may change them. */
  async function fetchedCopy(label: string, edit: (dir: string, name: string) => void) {
    const { dir: from, name } = await dumpOnce();
    const dir = freshDir(label);
    for (const suffix of ["", ".manifest", ".sha256"])
      fs.copyFileSync(path.join(from, `${name}${suffix}`), path.join(dir, `${name}${suffix}`));
    edit(dir, name);
    return dir;
  }

  test("the manifest names tables as PostgreSQL quotes them, spaces and all, and counts an empty one", async () => {
    await pg.psql("postgres", `CREATE DATABASE spaced OWNER ${APP.user};`);
    await pg.psql(
      "spaced",
      `CREATE SCHEMA "odd schema";
       CREATE TABLE "odd schema"."my table" (note text);
       INSERT INTO "odd schema"."my table" VALUES ('um'), ('dois\ncom quebra'), (NULL);
       CREATE TABLE "Upper" (id int);`,
      APP,
    );
    const dir = freshDir("spaced");
    expect((await script(BACKUP, ["dump"], dumpContainerEnv(dir, { DB_NAME: "spaced" }))).code).toBe(0);
    const [name] = dumpsIn(dir).filter((f) => f.endsWith(".dump"));
    const lines = fs
      .readFileSync(path.join(dir, `${name}.manifest`), "utf8")
      .split("\n")
      .slice(1);
    // quote_ident's spelling (what drill.sh's count query prints): three rows, one with a newline in it.
    expect(lines).toEqual(['"odd schema"."my table"\t3', 'public."Upper"\t0', ""]);
  });

  test("backup, then drill: the restore matches the manifest, and nothing of it is left behind", async () => {
    const { dir: from, name } = await dumpOnce();
    for (const suffix of ["", ".manifest", ".sha256"])
      await s3.put(`drill-ok/${name}${suffix}`, fs.readFileSync(path.join(from, `${name}${suffix}`)));
    const dir = freshDir("drill-ok");
    const fetch = await script(DRILL, ["fetch"], drillEnv(dir, "drill-ok"));
    expect(show(fetch)).toMatch(/^exit 0\n/);
    expect(fs.readdirSync(dir).sort()).toEqual([name, `${name}.manifest`, `${name}.sha256`]);
    const result = await check(dir, "drill-ok");
    expect(show(result)).toMatch(/^exit 0\n/);
    // The data set's 3,000 patients and 5,990 appointments, two tables.
    expect(result.stdout).toMatch(
      new RegExp(`check: ok ${name}: 2 tables, 8990 rows, \\d+ bytes, restored in \\d+ s`),
    );
    // The same figures as the JSON line the metric filters read (components/backups/job.ts, DRILL_METRICS).
    const summary = JSON.parse(result.stdout.trim().split("\n").pop()!);
    expect(summary).toEqual({
      drill: "ok",
      dump: name,
      tables: 2,
      rows: 8990,
      bytes: expect.any(Number),
      seconds: expect.any(Number),
    });
    expect(summary.bytes).toBeGreaterThan(0);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test("a dump that holds fewer rows of a table than its manifest says fails, naming the table", async () => {
    // The manifest of a dump that should hold 6,000 appointments; the archive holds 5,990.
    const dir = await fetchedCopy("drill-short", (d, name) => {
      const file = path.join(d, `${name}.manifest`);
      fs.writeFileSync(
        file,
        fs.readFileSync(file, "utf8").replace("public.appointments\t5990", "public.appointments\t6000"),
      );
    });
    const result = await check(dir, "drill-short");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("public.appointments: 6000 rows in the manifest, 5990 restored");
    expect(result.stderr).not.toContain("public.patients");
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test("a tampered archive is refused before anything is restored, and deleted", async () => {
    const dir = await fetchedCopy("drill-tampered", (d, name) => {
      const file = path.join(d, name);
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 10] ^= 0xff;
      fs.writeFileSync(file, bytes);
    });
    const result = await check(dir, "drill-tampered");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /checksum mismatch for healthflow_\d{8}T\d{6}Z\.dump .*refusing to restore/,
    );
    // Refused before initdb: no server ever ran (its log would be there until the cleanup), nothing left.
    expect(result.stdout).not.toContain("a throwaway PostgreSQL");
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test("with no complete backup under the prefix it says so and fails", async () => {
    const dir = freshDir("drill-none");
    const fetch = await script(DRILL, ["fetch"], drillEnv(dir, "drill-nothing-here"));
    expect(fetch.code).toBe(1);
    expect(fetch.stderr).toContain("no complete backup (archive, .manifest, .sha256) under s3://");
  });
});

test("no script ever printed the database password", () => {
  expect(outputs.length).toBeGreaterThan(10);
  for (const { stdout, stderr } of outputs) expect(stdout + stderr).not.toContain(APP.password);
});

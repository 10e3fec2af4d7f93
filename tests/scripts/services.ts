// Real services for the backup/restore tests: a throwaway PostgreSQL cluster (Debian's binaries,
// TLS on, password auth, 127.0.0.1 only) and s3rver, an S3-compatible server, on loopback.
// Nothing here is mocked, and nothing listens on or connects to anything but 127.0.0.1.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import S3rver from "s3rver";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (s3rver lives in this process). */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 15_000,
      killSignal: "SIGKILL",
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (child.stdin) {
      child.stdin.on("error", reject);
      child.stdin.end(options.input);
    }
  });
}

/** Like run, but a non-zero exit is an error that carries the command's output. */
export async function check(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

const isExecutable = (file: string) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/** The first executable `name` in `dirs` (default: PATH); a missing tool fails the suite. */
export function requireTool(name: string, dirs?: string[]): string {
  const searched = dirs ?? (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const found = searched.map((dir) => path.join(dir, name)).find(isExecutable);
  if (!found) {
    throw new Error(`${name} not found in ${searched.join(":")}; CI installs it with apt-get (see .ci/run)`);
  }
  return found;
}

/** Debian's newest PostgreSQL server binaries (/usr/lib/postgresql/<major>/bin). */
export function postgresBinDir(): string {
  const base = "/usr/lib/postgresql";
  const majors = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const bin = majors
    .map((v) => path.join(base, v, "bin"))
    .find((dir) => isExecutable(path.join(dir, "initdb")));
  if (!bin) throw new Error(`no PostgreSQL server under ${base}; CI must apt-get install postgresql`);
  for (const tool of ["pg_ctl", "postgres", "psql", "pg_dump", "pg_restore"]) requireTool(tool, [bin]);
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway certificate authority (EC P-256, one day), made with openssl. */
export interface CertificateAuthority {
  cert: string;
  key: string;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

export async function certificateAuthority(dir: string, name: string): Promise<CertificateAuthority> {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  await check("openssl", [
    ...["req", "-x509", "-nodes", "-days", "1", "-subj", `/CN=HealthFlow test CA ${name}`, ...EC_KEY],
    ...["-keyout", key, "-out", cert],
  ]);
  fs.chmodSync(key, 0o600);
  return { cert, key };
}

/** A server certificate for `names` (DNS names and IP addresses), signed by `ca`. */
export async function serverCertificate(
  dir: string,
  ca: CertificateAuthority,
  names: { dns: string[]; ip: string[] },
): Promise<{ cert: string; key: string }> {
  const key = path.join(dir, "server.key");
  const csr = path.join(dir, "server.csr");
  const cert = path.join(dir, "server.crt");
  const extensions = path.join(dir, "server.ext");
  fs.writeFileSync(
    extensions,
    [
      `subjectAltName=${[...names.dns.map((n) => `DNS:${n}`), ...names.ip.map((n) => `IP:${n}`)].join(",")}`,
      "basicConstraints=critical,CA:FALSE",
      "extendedKeyUsage=serverAuth",
      "",
    ].join("\n"),
  );
  await check("openssl", [
    "req",
    "-new",
    "-nodes",
    "-subj",
    `/CN=${names.dns[0]}`,
    ...EC_KEY,
    "-keyout",
    key,
    "-out",
    csr,
  ]);
  await check("openssl", [
    ...["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-days", "1"],
    ...["-set_serial", `0x${randomBytes(8).toString("hex")}`, "-extfile", extensions, "-out", cert],
  ]);
  fs.chmodSync(key, 0o600);
  return { cert, key };
}

export interface Postgres {
  port: number;
  bin: string;
  /** The CA that signed the server's certificate (for localhost and 127.0.0.1): PGSSLROOTCERT. */
  caFile: string;
  /** The server's log (stderr, as pg_ctl -l writes it). */
  logFile: string;
  /** The environment a client needs to connect over TLS as the superuser (PGPASSWORD, PGSSLMODE, ...). */
  clientEnv: NodeJS.ProcessEnv;
  /** Runs SQL through psql over TLS; returns unaligned, tuples-only output. */
  psql(database: string, sql: string, login?: { user: string; password: string }): Promise<string>;
  stop(): Promise<void>;
}

/** initdb + pg_ctl start in `root`/pg, as the `postgres` OS user when we are root (initdb refuses root). */
export async function startPostgres(root: string, settings: string[] = []): Promise<Postgres> {
  const bin = postgresBinDir();
  requireTool("openssl");
  const asRoot = process.getuid?.() === 0;
  const dir = path.join(root, "pg");
  const data = path.join(dir, "data");
  fs.mkdirSync(dir, { mode: 0o700 });
  const superPassword = randomBytes(16).toString("hex");
  fs.writeFileSync(path.join(dir, "pwfile"), `${superPassword}\n`, { mode: 0o600 });
  // A certificate as RDS gives one: signed by a CA the clients trust (the test's own, standing in
  // for AWS's regional CA), for the names the clients connect to.
  const ca = await certificateAuthority(dir, "ca");
  const { cert: crt, key } = await serverCertificate(dir, ca, { dns: ["localhost"], ip: ["127.0.0.1"] });

  let asPostgres = (command: string, args: string[]): [string, string[]] => [command, args];
  if (asRoot) {
    requireTool("runuser");
    const uid = Number(await check("id", ["-u", "postgres"]));
    const gid = Number(await check("id", ["-g", "postgres"]));
    fs.chmodSync(root, 0o711);
    for (const file of [dir, path.join(dir, "pwfile"), key, crt]) fs.chownSync(file, uid, gid);
    asPostgres = (command, args) => ["runuser", ["-u", "postgres", "--", command, ...args]];
  }
  const pg = (tool: string, args: string[]) => check(...asPostgres(path.join(bin, tool), args));

  await pg("initdb", [
    ...["-D", data, "-U", "postgres", `--pwfile=${path.join(dir, "pwfile")}`, "--auth=scram-sha-256"],
    ...["--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"],
  ]);
  const port = await freePort();
  fs.appendFileSync(
    path.join(data, "postgresql.conf"),
    [
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      "ssl = on",
      `ssl_cert_file = '${crt}'`,
      `ssl_key_file = '${key}'`,
      "max_connections = 20",
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      "timezone = 'UTC'",
      // The caller's own (a parameter group's settings, say).
      ...settings,
      "",
    ].join("\n"),
  );
  // TLS or nothing over TCP: the scripts' default PGSSLMODE=verify-full connects here with the CA.
  fs.writeFileSync(
    path.join(data, "pg_hba.conf"),
    "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
  );
  const logFile = path.join(dir, "postgres.log");
  await pg("pg_ctl", ["-D", data, "-l", logFile, "-w", "-t", "20", "start"]);
  const clientEnv = {
    ...process.env,
    PGPASSWORD: superPassword,
    PGSSLMODE: "verify-full",
    PGSSLROOTCERT: ca.cert,
    PGCONNECT_TIMEOUT: "5",
  };

  return {
    port,
    bin,
    caFile: ca.cert,
    logFile,
    clientEnv,
    psql: (database, sql, login = { user: "postgres", password: superPassword }) =>
      check(
        path.join(bin, "psql"),
        [
          ...["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port)],
          "-U",
        ].concat([login.user, "-d", database, "-f", "-"]),
        {
          input: sql,
          env: {
            ...process.env,
            PGPASSWORD: login.password,
            PGSSLMODE: "verify-full",
            PGSSLROOTCERT: ca.cert,
            PGCONNECT_TIMEOUT: "5",
          },
        },
      ).then((out) => out.trim()),
    stop: async () => {
      await pg("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "20", "stop"]);
    },
  };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface S3 {
  endpoint: string;
  bucket: string;
  /** Every request the aws cli made (our own unsigned helper requests are left out). */
  cliRequests: RecordedRequest[];
  keys(prefix: string): Promise<string[]>;
  get(key: string): Promise<Buffer>;
  put(key: string, body: Buffer): Promise<void>;
  close(): Promise<void>;
}

function request(url: string, method: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { "x-test-helper": "1" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

export async function startS3(root: string, bucket: string): Promise<S3> {
  const directory = path.join(root, "s3");
  fs.mkdirSync(directory);
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const cliRequests: RecordedRequest[] = [];
  server.httpServer?.prependListener("request", (req: http.IncomingMessage) => {
    if (req.headers["x-test-helper"]) return;
    cliRequests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
  });
  const objectUrl = (key: string) =>
    `${endpoint}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  return {
    endpoint,
    bucket,
    cliRequests,
    keys: async (prefix) => {
      const res = await request(
        `${endpoint}/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`,
        "GET",
      );
      if (res.status !== 200) throw new Error(`listing ${prefix}: HTTP ${res.status}`);
      return [...res.body.toString("utf8").matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]).sort();
    },
    get: async (key) => {
      const res = await request(objectUrl(key), "GET");
      if (res.status !== 200) throw new Error(`GET ${key}: HTTP ${res.status}`);
      return res.body;
    },
    put: async (key, body) => {
      const res = await request(objectUrl(key), "PUT", body);
      if (res.status !== 200) throw new Error(`PUT ${key}: HTTP ${res.status}`);
    },
    close: () => server.close(),
  };
}

// A real nginx on loopback for the tests: the binary (required, never skipped), throwaway
// certificates, tiny upstream apps, and bounded HTTP(S) requests against 127.0.0.1 only.
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as path from "path";

const REQUEST_TIMEOUT_MS = 3000;

/** Debian's nginx (package `nginx`); CI installs it, so a missing binary fails the suite. */
export function nginxBinary(): string {
  for (const candidate of [process.env.NGINX, "/usr/sbin/nginx", "nginx"]) {
    if (candidate && !spawnSync(candidate, ["-v"]).error) return candidate;
  }
  throw new Error("nginx is not installed: `apt-get install -y nginx` (Debian), or set NGINX=/path/to/nginx");
}

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A self-signed certificate valid for `hosts` (1 day), written as fullchain.pem and privkey.pem. */
export function selfSignedCertificate(dir: string, hosts: string[]) {
  const certificate = path.join(dir, "fullchain.pem");
  const certificateKey = path.join(dir, "privkey.pem");
  const san = hosts.map((h) => `DNS:${h}`).join(",");
  const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"];
  execFileSync(
    "openssl",
    [...args, "-addext", `subjectAltName=${san}`, "-keyout", certificateKey, "-out", certificate],
    {
      stdio: "pipe",
    },
  );
  return { certificate, certificateKey, ca: fs.readFileSync(certificate) };
}

/** `nginx -t` on a file; status 0 and nginx's own words when it accepts it. */
export function nginxTest(dir: string, confFile: string) {
  const result = spawnSync(
    nginxBinary(),
    ["-t", "-p", dir, "-c", confFile, "-e", path.join(dir, "error.log")],
    {
      encoding: "utf8",
      timeout: 5000,
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface RunningNginx {
  dir: string;
  accessLog: string;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground on `conf` and resolves once `readyPort` accepts connections. */
export async function startNginx(dir: string, conf: string, readyPort: number): Promise<RunningNginx> {
  const confFile = path.join(dir, "nginx.conf");
  fs.writeFileSync(confFile, conf);
  const errorLog = path.join(dir, "error.log");
  const child: ChildProcess = spawn(
    nginxBinary(),
    ["-p", dir, "-c", confFile, "-e", errorLog, "-g", "daemon off;"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(killer);
    }
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) break;
    if (await accepts(readyPort)) return { dir, accessLog: path.join(dir, "access.log"), stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  const log = fs.existsSync(errorLog) ? fs.readFileSync(errorLog, "utf8") : "";
  throw new Error(`nginx did not start on port ${readyPort}:\n${stderr}\n${log}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** What an upstream app saw, echoed in its JSON answer. */
export interface Echo {
  app: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  padding: string;
}

export interface Upstream {
  port: number;
  /** TCP connections nginx has opened to this app so far (keepalive keeps this low). */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A stand-in for the web or api app: answers JSON over 1 KB (so gzip applies), 500 on /boom, and
 * switches protocols on any upgrade request (a raw 101 is all nginx needs to tunnel a WebSocket).
 */
export async function startUpstream(app: string): Promise<Upstream> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const echo: Echo = { app, url: req.url ?? "", headers: req.headers, padding: "x".repeat(2048) };
      res.writeHead(req.url === "/boom" ? 500 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(echo));
    });
  });
  server.on("connection", () => connections++);
  const tunnels = new Set<net.Socket>(); // upgraded sockets leave the server's bookkeeping
  server.on("upgrade", (_req: http.IncomingMessage, socket: net.Socket) => {
    tunnels.add(socket);
    socket.on("close", () => tunnels.delete(socket));
    socket.on("error", () => undefined);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-App: ${app}\r\n\r\n`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      for (const socket of tunnels) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  port: number;
  /** Host header and, over TLS, the SNI name: picks nginx's server block. */
  host: string;
  path: string;
  tls: boolean;
  /** Trusted CA for TLS (the test's self-signed certificate). */
  ca?: Buffer;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  agent?: http.Agent;
}

/** One request to 127.0.0.1 with a timeout; an upgrade answer resolves with its 101 status. */
export function request(options: RequestOptions): Promise<Reply> {
  const { port, host, tls, ca, body } = options;
  const common = {
    host: "127.0.0.1",
    port,
    path: options.path,
    method: options.method ?? "GET",
    headers: { host, ...options.headers, ...(body ? { "content-length": String(body.length) } : {}) },
    timeout: REQUEST_TIMEOUT_MS,
    agent: options.agent,
  };
  return new Promise((resolve, reject) => {
    const req = tls ? https.request({ ...common, servername: host, ca }) : http.request(common);
    req.on("timeout", () =>
      req.destroy(new Error(`${host}${options.path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)),
    );
    req.on("error", reject);
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0) });
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.end(body);
  });
}

/** The temp-path directives of an unprivileged nginx under `dir` (its defaults are root-owned). */
export function tempPaths(dir: string): string {
  return ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((kind) => `${kind}_temp_path ${dir}/${kind === "client_body" ? "body" : kind};`)
    .join("\n  ");
}

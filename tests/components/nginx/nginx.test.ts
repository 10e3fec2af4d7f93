import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import {
  ACCESS_LOG_FIELDS,
  type NginxEnvironment,
  type NginxRules,
  renderNginxConf,
  SECURITY_HEADERS,
} from "../../../components/nginx/render";
import type { Settings } from "../../../settings";
import { settingsOfStackConfig } from "../../../tools/plan/settings";
import { readStackConfig } from "../../../tools/engine/stackConfig";
import { block, printConf } from "../../../components/nginx/conf";
import { ingresses, type IngressDefinition } from "../../../components/workloads/ingress";
import { type Directive, parseConf } from "./parseConf";
import * as real from "./realNginx";

// The rendered nginx.conf in a real nginx on loopback, in front of two tiny upstream apps: the
// rules the stack's settings describe are the ones nginx enforces. Nothing leaves 127.0.0.1.

const rulesOf = (settings: Settings): NginxRules => ({
  edge: settings.edge,
  hosts: { app: settings.dns.appHost, api: settings.dns.apiHost },
});
const dev = rulesOf(settingsOfStackConfig(readStackConfig("dev")));
const production = rulesOf(settingsOfStackConfig(readStackConfig("production")));
const { app: APP, api: API } = dev.hosts;
const AUTH = dev.edge.rateLimits.auth.path;
/** The dev rules with a smaller auth burst and upload limit, as a changed stack file would give. */
const tighter: NginxRules = {
  hosts: dev.hosts,
  edge: {
    ...dev.edge,
    maxBodySizeMb: 1,
    rateLimits: { ...dev.edge.rateLimits, auth: { ...dev.edge.rateLimits.auth, burst: 2 } },
  },
};

interface Site {
  conf: string;
  httpPort: number;
  httpsPort: number;
  nginx: real.RunningNginx;
}

let root: string;
let tls: ReturnType<typeof real.selfSignedCertificate>;
let upstreams: { api: real.Upstream; web: real.Upstream };
let main: Site;
let tight: Site;
/** The dev rules again, on a zone no other test has counted against. */
let caseless: Site;

/** Where a test nginx runs: loopback, random ports, files under `dir`, the test's apps. */
function testEnvironment(dir: string, httpPort = 0, httpsPort = 0): Partial<NginxEnvironment> {
  return {
    user: null, // the master runs as whoever runs jest; it cannot switch users unless root
    pidFile: path.join(dir, "nginx.pid"),
    errorLog: path.join(dir, "error.log"),
    accessLog: path.join(dir, "access.log"),
    listenAddress: "127.0.0.1",
    httpPort,
    httpsPort,
    certificate: tls.certificate,
    certificateKey: tls.certificateKey,
    upstreams: { api: `127.0.0.1:${upstreams.api.port}`, web: `127.0.0.1:${upstreams.web.port}` },
    tempDir: dir,
  };
}

async function launch(name: string, rules: NginxRules): Promise<Site> {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { mode: 0o755 });
  const [httpPort, httpsPort] = [await real.freePort(), await real.freePort()];
  const conf = renderNginxConf(rules, testEnvironment(dir, httpPort, httpsPort));
  return { conf, httpPort, httpsPort, nginx: await real.startNginx(dir, conf, httpsPort) };
}

const get = (site: Site, host: string, urlPath: string, options: Partial<real.RequestOptions> = {}) =>
  real.request({ port: site.httpsPort, host, path: urlPath, tls: true, ca: tls.ca, ...options });
const json = (reply: real.Reply) => JSON.parse(reply.body.toString()) as real.Echo;

/** Statuses of ten quick logins from one client: the burst passes, then the zone's rate applies. */
async function loginBurst(site: Site): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++)
    statuses.push((await get(site, API, `${AUTH}/login`, { method: "POST" })).status);
  return statuses;
}

function expectSecurityHeaders(reply: real.Reply) {
  const headers = Object.fromEntries(
    SECURITY_HEADERS.map(([name]) => [name, reply.headers[name.toLowerCase()]]),
  );
  expect([reply.status, headers]).toEqual([reply.status, Object.fromEntries(SECURITY_HEADERS)]);
}

beforeAll(async () => {
  real.nginxBinary(); // fails the suite, not skips it, where nginx is missing
  root = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-nginx-"));
  fs.chmodSync(root, 0o755); // nginx's workers drop privileges when the master is root
  tls = real.selfSignedCertificate(root, [APP, API]);
  upstreams = { api: await real.startUpstream("api"), web: await real.startUpstream("web") };
  main = await launch("main", dev);
  tight = await launch("tight", tighter);
  caseless = await launch("caseless", dev);
}, 15000);

afterAll(async () => {
  await Promise.all([main?.nginx.stop(), tight?.nginx.stop(), caseless?.nginx.stop()]);
  await Promise.all([upstreams?.api.close(), upstreams?.web.close()]);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe("the rendered nginx.conf, checked by nginx", () => {
  test("nginx -t accepts the dev stack's rendering", () => {
    const result = real.nginxTest(main.nginx.dir, path.join(main.nginx.dir, "nginx.conf"));
    expect(result).toEqual({ status: 0, output: expect.stringContaining("test is successful") });
  });

  test("production's rendering is the tested one except where it runs; with the test's paths nginx -t accepts it", () => {
    const dir = path.join(root, "production");
    fs.mkdirSync(dir, { mode: 0o755 });
    const shipped = renderNginxConf(production);
    const pointedAtTemp = renderNginxConf(production, testEnvironment(dir, 8080, 8443));
    // Directives whose arguments name this machine (paths, ports, upstream addresses) are masked;
    // every other directive, in order, must be identical.
    const WHERE = new Set([
      "pid",
      "error_log",
      "access_log",
      "include",
      "listen",
      "ssl_certificate",
      "ssl_certificate_key",
    ]);
    const mask = (directives: Directive[]): Directive[] =>
      directives
        .filter((d) => d.name !== "user" && !d.name.endsWith("_temp_path"))
        .map((d) =>
          d.block
            ? { ...d, block: mask(d.block) }
            : WHERE.has(d.name) || (d.name === "server" && !d.block)
              ? { ...d, args: ["<where it runs>"] }
              : d,
        );
    expect(mask(parseConf(pointedAtTemp))).toEqual(mask(parseConf(shipped)));
    expect(shipped).toContain("user nginx;");
    expect(shipped).toContain("ssl_certificate /etc/nginx/ssl/fullchain.pem;");

    fs.writeFileSync(path.join(dir, "nginx.conf"), pointedAtTemp);
    expect(real.nginxTest(dir, path.join(dir, "nginx.conf"))).toEqual({
      status: 0,
      output: expect.stringContaining("test is successful"),
    });
  });
});

describe("the rendered nginx.conf, running on loopback", () => {
  test("Host and SNI pick the server: the app host reaches web, the API host reaches api, with forwarding headers", async () => {
    const web = json(await get(main, APP, "/dashboard"));
    const api = json(await get(main, API, "/api/v1/patients?page=2"));
    expect([web.app, web.url, api.app, api.url]).toEqual([
      "web",
      "/dashboard",
      "api",
      "/api/v1/patients?page=2",
    ]);
    expect(api.headers).toMatchObject({
      host: API,
      "x-forwarded-proto": "https",
      "x-real-ip": "127.0.0.1",
      "x-forwarded-for": "127.0.0.1",
    });
    // No `Connection: upgrade` on plain requests (the guide's bug), so upstream keepalive works.
    expect([web.headers.connection, api.headers.connection]).toEqual([undefined, undefined]);
  });

  test("upstream keepalive: many requests, at most one new connection per app", async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const before = [upstreams.web.connections(), upstreams.api.connections()];
    try {
      for (let i = 0; i < 5; i++) {
        expect((await get(main, APP, `/page/${i}`, { agent })).status).toBe(200);
        expect((await get(main, API, `/api/v1/items/${i}`, { agent })).status).toBe(200);
      }
    } finally {
      agent.destroy();
    }
    const opened = [upstreams.web.connections() - before[0], upstreams.api.connections() - before[1]];
    for (const count of opened) expect(count).toBeLessThanOrEqual(1);
  });

  test("security headers are on every response of both servers, errors included", async () => {
    const replies = [
      await get(main, APP, "/"),
      await get(main, API, "/api/v1/patients"),
      await get(main, API, "/boom"), // the app's own 500
      await get(tight, API, "/api/v1/uploads", { method: "POST", body: Buffer.alloc(1024 * 1024 + 1) }), // nginx's 413
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 500, 413]);
    replies.forEach(expectSecurityHeaders);
  });

  test("JSON is gzipped when the client accepts it, and only then", async () => {
    const zipped = await get(main, API, "/api/v1/patients", { headers: { "accept-encoding": "gzip" } });
    expect(zipped.headers).toMatchObject({ "content-encoding": "gzip", vary: "Accept-Encoding" });
    expect(JSON.parse(zlib.gunzipSync(zipped.body).toString()).app).toBe("api");
    const plain = await get(main, API, "/api/v1/patients");
    expect([plain.headers["content-encoding"], json(plain).app]).toEqual([undefined, "api"]);
  });

  test("WebSocket upgrades reach the api on /socket.io and the web app on /", async () => {
    const upgrade = { connection: "Upgrade", upgrade: "websocket" };
    const api = await get(main, API, "/socket.io/?EIO=4&transport=websocket", { headers: upgrade });
    const web = await get(main, APP, "/_next/webpack-hmr", { headers: upgrade });
    expect([api.status, api.headers["x-app"], web.status, web.headers["x-app"]]).toEqual([
      101,
      "api",
      101,
      "web",
    ]);
  });

  test(`${AUTH} answers 429 once its burst is spent, while other paths still pass`, async () => {
    const { burst } = dev.edge.rateLimits.auth;
    const statuses = await loginBurst(main);
    expect(statuses).toEqual([...Array(burst + 1).fill(200), ...Array(10 - burst - 1).fill(429)]);
    const limited = await get(main, API, `${AUTH}/login`, { method: "POST" });
    expect(limited.status).toBe(429);
    expectSecurityHeaders(limited);
    expect((await get(main, API, "/api/v1/patients")).status).toBe(200);
  });

  test(`${AUTH.toUpperCase()}/login, as NestJS routes it, hits the auth limit: the location matches any letter case`, async () => {
    const { burst } = dev.edge.rateLimits.auth;
    const upper = `${AUTH.toUpperCase()}/login`;
    const replies: real.Reply[] = [];
    for (let i = 0; i < 10; i++) replies.push(await get(caseless, API, upper, { method: "POST" }));
    expect(replies.map((r) => r.status)).toEqual([
      ...Array(burst + 1).fill(200),
      ...Array(10 - burst - 1).fill(429),
    ]);
    // The api got the path as sent (NestJS matches it case-insensitively), not a rewritten one.
    expect(json(replies[0]).url).toBe(upper);
    // One zone for every spelling: the same client is over the limit in lower and mixed case too.
    for (const spelling of [`${AUTH}/login`, "/Api/V1/Auth/refresh"])
      expect((await get(caseless, API, spelling, { method: "POST" })).status).toBe(429);
    expect((await get(caseless, API, "/api/v1/patients")).status).toBe(200);
  });

  test("changing the auth burst in settings changes the rendered rule and what nginx lets through", async () => {
    expect(main.conf).toContain("limit_req zone=auth burst=5 nodelay;");
    expect(tight.conf).toContain("limit_req zone=auth burst=2 nodelay;");
    const passed = (await loginBurst(tight)).filter((s) => s === 200).length;
    expect(passed).toBe(2 + 1);
  });

  test("bodies over edge.maxBodySizeMb are refused before the app; smaller ones pass", async () => {
    const post = (bytes: number) =>
      get(tight, API, "/api/v1/uploads", { method: "POST", body: Buffer.alloc(bytes) });
    expect([(await post(512 * 1024)).status, (await post(2 * 1024 * 1024)).status]).toEqual([200, 413]);
  });

  test("plain HTTP answers 301 to the same path on HTTPS", async () => {
    const reply = await real.request({
      port: main.httpPort,
      host: APP,
      path: "/patients?page=2",
      tls: false,
    });
    expect([reply.status, reply.headers.location]).toEqual([301, `https://${APP}/patients?page=2`]);
  });

  test("every access-log line is JSON with the guide's fields, and no query string", async () => {
    // nginx writes a request's log line after it has sent the reply (the log phase), so the last
    // reply can reach us before its line is on disk: wait briefly for every status to show.
    const read = () => fs.readFileSync(main.nginx.accessLog, "utf8").trim().split("\n");
    for (
      let waited = 0;
      waited < 2000 && ![200, 301, 429, 500].every((s) => read().some((l) => l.includes(`"status":${s},`)));
      waited += 50
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = read();
    expect(lines.length).toBeGreaterThan(20);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const entry of entries) {
      expect(Object.keys(entry)).toEqual(ACCESS_LOG_FIELDS.map(([field]) => field));
      expect([typeof entry.status, typeof entry.request_time, String(entry.uri).includes("?")]).toEqual([
        "number",
        "number",
        false,
      ]);
    }
    const statuses = new Set(entries.map((e) => e.status));
    expect([200, 301, 429, 500].filter((s) => !statuses.has(s))).toEqual([]);
  });
});

/**
 * The `location` the F5 NGINX Ingress Controller writes for a minion's path, as its v5.5.4 template
 * does (internal/configs/version1/template_helper.go makeLocationPath / makePathWithRegex): with
 * `nginx.org/path-regex` the path becomes `~ "^path"`, `~* "^path"` or `= "path"`, else it stays a prefix.
 */
function f5Location(ingress: IngressDefinition): string {
  const path = (ingress.spec.rules as any)[0].http.paths[0].path as string;
  switch (ingress.annotations["nginx.org/path-regex"]) {
    case "case_sensitive":
      return `~ "^${path}"`;
    case "case_insensitive":
      return `~* "^${path}"`;
    case "exact":
      return `= "${path}"`;
    default:
      return path;
  }
}

describe("the F5 controller's locations for the API host's minions, in a real nginx", () => {
  let site: { port: number; nginx: real.RunningNginx };
  beforeAll(async () => {
    const dir = path.join(root, "f5-locations");
    fs.mkdirSync(dir, { mode: 0o755 });
    const port = await real.freePort();
    const minions = ingresses({ edge: dev.edge, hosts: dev.hosts, ports: { web: 3000, api: 3001 } }).filter(
      (i) => i.annotations["nginx.org/mergeable-ingress-type"] === "minion",
    );
    // Each location answers with its Ingress's name: which one nginx picked is the whole question.
    const conf = printConf([
      `pid ${path.join(dir, "nginx.pid")};`,
      `error_log ${path.join(dir, "error.log")} warn;`,
      ...block("events", ["worker_connections 64;"]),
      ...block("http", [
        "access_log off;",
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((k) => `${k}_temp_path ${dir}/${k};`),
        ...block("server", [
          `listen 127.0.0.1:${port};`,
          ...minions.flatMap((m) => block(`location ${f5Location(m)}`, [`return 200 "${m.name}";`])),
        ]),
      ]),
    ]);
    site = { port, nginx: await real.startNginx(dir, conf, port) };
  }, 15000);
  afterAll(async () => site?.nginx.stop());

  test.each([
    [`${AUTH}/login`, "healthflow-api-auth"],
    [`${AUTH.toUpperCase()}/LOGIN`, "healthflow-api-auth"],
    ["/Api/v1/Auth", "healthflow-api-auth"],
    ["/api/v1/patients", "healthflow-api-root"],
    ["/socket.io/?EIO=4", "healthflow-api-socketio"],
  ])("%s reaches %s", async (urlPath, ingress) => {
    const reply = await real.request({ port: site.port, host: API, path: urlPath, tls: false });
    expect([reply.status, reply.body.toString()]).toEqual([200, ingress]);
  });
});

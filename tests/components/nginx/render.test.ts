import { nginxConfFromSettings } from "../../../components/nginx/fromSettings";
import {
  GZIP_TYPES,
  literalPattern,
  type NginxRules,
  renderNginxConf,
  SECURITY_HEADERS,
} from "../../../components/nginx/render";
import { settingsOfStackConfig } from "../../../tools/plan/settings";
import { readStackConfig } from "../../../tools/engine/stackConfig";
import { all, blockOf, type Directive, parseConf, serverFor, value } from "./parseConf";

// The renderer without nginx: the structure of the guide's file, the settings' numbers in the
// right places, and the guide's bugs fixed. nginx.test.ts proves a real nginx agrees.

const production = settingsOfStackConfig(readStackConfig("production"));
const RULES: NginxRules = {
  edge: {
    cloudflarePlan: "pro",
    maxBodySizeMb: 25,
    rateLimits: {
      general: { requestsPerSecond: 40, burst: 20 },
      auth: { path: "/api/v2/login", requestsPerMinute: 6, burst: 3 },
    },
  },
  hosts: { app: "app.example.com.br", api: "api.example.com.br" },
};
const conf = parseConf(renderNginxConf(RULES));
const http = blockOf(conf, "http");
const app = serverFor(conf, "app.example.com.br");
const api = serverFor(conf, "api.example.com.br");
const PROXY_HEADERS = [
  "Host $host",
  "X-Real-IP $remote_addr",
  "X-Forwarded-For $proxy_add_x_forwarded_for",
  "X-Forwarded-Proto $scheme",
];

const proxyHeaders = (location: Directive[]) =>
  all(location, "proxy_set_header").map((d) => d.args.join(" "));

describe("renderNginxConf: the guide's nginx.conf from the edge settings", () => {
  test("keeps the guide's process, events, logging, performance and gzip settings", () => {
    expect(["user", "worker_processes", "error_log", "pid"].map((d) => value(conf, d))).toEqual([
      "nginx",
      "auto",
      "/var/log/nginx/error.log warn",
      "/var/run/nginx.pid",
    ]);
    const events = blockOf(conf, "events");
    expect(["worker_connections", "multi_accept", "use"].map((d) => value(events, d))).toEqual([
      "4096",
      "on",
      "epoll",
    ]);
    expect(value(http, "access_log")).toBe("/var/log/nginx/access.log json");
    expect(value(http, "include")).toBe("/etc/nginx/mime.types");
    const performance = ["sendfile", "tcp_nopush", "tcp_nodelay", "keepalive_timeout", "types_hash_max_size"];
    expect(performance.map((d) => value(http, d))).toEqual(["on", "on", "on", "65", "2048"]);
    expect(["gzip", "gzip_vary", "gzip_proxied", "gzip_comp_level"].map((d) => value(http, d))).toEqual([
      "on",
      "on",
      "any",
      "6",
    ]);
    expect(value(http, "gzip_types").split(" ")).toEqual(GZIP_TYPES);
    expect(GZIP_TYPES).toContain("application/json");
  });

  test("the access-log format yields one JSON object with the guide's fields", () => {
    const [format] = all(http, "log_format");
    expect(format.args.slice(0, 2)).toEqual(["json", "escape=json"]);
    const sample = format.args
      .slice(2)
      .join("")
      .replace(/\$(status|body_bytes_sent|request_time)\b/g, "1")
      .replace(/\$\w+/g, "x");
    expect(Object.keys(JSON.parse(sample))).toEqual([
      "time",
      "remote_addr",
      "method",
      "uri",
      "status",
      "body_bytes_sent",
      "request_time",
      "upstream_response_time",
    ]);
  });

  test("rate-limit zones take their rates from the settings; rejections are 429", () => {
    expect(all(http, "limit_req_zone").map((d) => d.args.join(" "))).toEqual([
      "$binary_remote_addr zone=general:10m rate=40r/s",
      "$binary_remote_addr zone=auth:10m rate=6r/m",
    ]);
    expect(value(http, "limit_req_status")).toBe("429");
    expect(value(http, "client_max_body_size")).toBe("25m");
  });

  test("upstreams: api least_conn, both with keepalive 32", () => {
    expect(blockOf(http, "upstream", "api")).toEqual(parseConf("least_conn; server api:3001; keepalive 32;"));
    expect(blockOf(http, "upstream", "web")).toEqual(parseConf("server web:3000; keepalive 32;"));
  });

  test.each([
    ["app", app],
    ["api", api],
  ])("the %s server: HTTPS with the guide's TLS policy and every security header, always", (_, server) => {
    expect(value(server, "listen")).toBe("443 ssl http2");
    expect(
      ["ssl_certificate", "ssl_certificate_key", "ssl_protocols", "ssl_prefer_server_ciphers"].map((d) =>
        value(server, d),
      ),
    ).toEqual(["/etc/nginx/ssl/fullchain.pem", "/etc/nginx/ssl/privkey.pem", "TLSv1.2 TLSv1.3", "off"]);
    expect(value(server, "ssl_ciphers")).toBe("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
    expect(all(server, "add_header").map((d) => d.args)).toEqual(
      SECURITY_HEADERS.map(([n, v]) => [n, v, "always"]),
    );
    expect(Object.fromEntries(SECURITY_HEADERS)).toMatchObject({
      "X-Frame-Options": "SAMEORIGIN",
      "X-Content-Type-Options": "nosniff",
      "X-XSS-Protection": "0",
      "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
      "Referrer-Policy": "strict-origin-when-cross-origin",
    });
  });

  test("the app server sends everything to web under the general limit, WebSocket-capable", () => {
    const root = blockOf(app, "location", "/");
    expect(value(root, "limit_req")).toBe("zone=general burst=20 nodelay");
    expect(value(root, "proxy_pass")).toBe("http://web");
    expect(proxyHeaders(root)).toEqual([
      "Upgrade $http_upgrade",
      "Connection $connection_upgrade",
      ...PROXY_HEADERS,
    ]);
    expect(blockOf(http, "map", "$http_upgrade", "$connection_upgrade")).toEqual(
      parseConf("default upgrade; '' '';"),
    );
  });

  test("the API server: auth path (any letter case) under the auth zone, the rest under the general one, /socket.io upgraded", () => {
    // `~*`: a case-insensitive regex, anchored at the start, so it is the prefix /api/v2/login in any case.
    const auth = blockOf(api, "location", "~*", "^/api/v2/login");
    expect(value(auth, "limit_req")).toBe("zone=auth burst=3 nodelay");
    expect(value(blockOf(api, "location", "/"), "limit_req")).toBe("zone=general burst=20 nodelay");
    const socket = blockOf(api, "location", "/socket.io");
    expect(all(socket, "limit_req")).toEqual([]);
    expect(proxyHeaders(socket).slice(0, 2)).toEqual([
      "Upgrade $http_upgrade",
      "Connection $connection_upgrade",
    ]);
    for (const location of [auth, blockOf(api, "location", "/"), socket])
      expect(value(location, "proxy_pass")).toBe("http://api");
  });

  test("a path from settings becomes a pattern that matches exactly its characters, any case under ~*", () => {
    expect(literalPattern("/api/v1.0/auth")).toBe("/api/v1\\.0/auth");
    // PCRE and JavaScript agree on these escapes; `~*` is the i flag.
    const auth = new RegExp(`^${literalPattern("/api/v1.0/auth")}`, "i");
    expect(["/API/V1.0/AUTH/login", "/api/v1.0/auth"].map((p) => auth.test(p))).toEqual([true, true]);
    expect(["/api/v1x0/auth", "/v2/api/v1.0/auth"].map((p) => auth.test(p))).toEqual([false, false]);
  });

  test("every proxied location speaks HTTP/1.1, sets every forwarding header, and adds no header of its own", () => {
    const locations = [app, api].flatMap((server) => all(server, "location").map((l) => l.block!));
    expect(locations).toHaveLength(4);
    for (const location of locations) {
      expect(value(location, "proxy_http_version")).toBe("1.1");
      expect(proxyHeaders(location)).toEqual(expect.arrayContaining(PROXY_HEADERS));
      // Keepalive to the upstream needs an empty Connection header where nothing is upgraded.
      const connection = all(location, "proxy_set_header").find((d) => d.args[0] === "Connection")!.args[1];
      const upgrades = proxyHeaders(location).includes("Upgrade $http_upgrade");
      expect(connection).toBe(upgrades ? "$connection_upgrade" : "");
      // One add_header in a location would drop the server's security headers there.
      expect(all(location, "add_header")).toEqual([]);
    }
  });

  test("plain HTTP redirects to HTTPS, naming the public port only when it is not 443", () => {
    const redirectOf = (text: string) => {
      const servers = all(blockOf(parseConf(text), "http"), "server").map((s) => s.block!);
      const plain = servers.find((s) => value(s, "server_name") === "_")!;
      return [value(plain, "listen"), value(plain, "return")];
    };
    expect(redirectOf(renderNginxConf(RULES))).toEqual(["80", "301 https://$host$request_uri"]);
    expect(redirectOf(renderNginxConf(RULES, { httpPort: 8080, publicHttpsPort: 8443 }))).toEqual([
      "8080",
      "301 https://$host:8443$request_uri",
    ]);
  });

  test("where it runs is a parameter: loopback ports, paths, no user, temp paths", () => {
    const local = parseConf(
      renderNginxConf(RULES, {
        user: null,
        listenAddress: "127.0.0.1",
        httpsPort: 8443,
        tempDir: "/tmp/n",
        upstreams: { api: "127.0.0.1:4001", web: "127.0.0.1:4000" },
      }),
    );
    expect(all(local, "user")).toEqual([]);
    expect(value(serverFor(local, "api.example.com.br"), "listen")).toBe("127.0.0.1:8443 ssl http2");
    expect(value(blockOf(local, "http"), "proxy_temp_path")).toBe("/tmp/n/proxy");
    expect(value(blockOf(blockOf(local, "http"), "upstream", "api"), "server")).toBe("127.0.0.1:4001");
  });
});

describe("nginxConfFromSettings: a stack's nginx", () => {
  test("takes the hosts from dns, the limits from edge and the upstream ports from apps", () => {
    const rendered = parseConf(nginxConfFromSettings(production));
    expect(value(serverFor(rendered, "app.healtflow.com.br"), "server_name")).toBe(production.dns.appHost);
    expect(value(serverFor(rendered, "api.healtflow.com.br"), "server_name")).toBe(production.dns.apiHost);
    const upstreams = blockOf(rendered, "http");
    expect([
      value(blockOf(upstreams, "upstream", "api"), "server"),
      value(blockOf(upstreams, "upstream", "web"), "server"),
    ]).toEqual([`api:${production.apps.api.port}`, `web:${production.apps.web.port}`]);
    const { general, auth } = production.edge.rateLimits;
    expect(all(upstreams, "limit_req_zone").map((d) => d.args[2])).toEqual([
      `rate=${general.requestsPerSecond}r/s`,
      `rate=${auth.requestsPerMinute}r/m`,
    ]);
  });

  test("one changed limit changes exactly the line that carries it", () => {
    const edge = production.edge;
    const changed = {
      ...production,
      edge: { ...edge, rateLimits: { ...edge.rateLimits, auth: { ...edge.rateLimits.auth, burst: 9 } } },
    };
    const before = nginxConfFromSettings(production).split("\n");
    const after = nginxConfFromSettings(changed).split("\n");
    const differing = after.map((line, i) => [before[i], line]).filter(([a, b]) => a !== b);
    expect(differing.map(([, b]) => b.trim())).toEqual(["limit_req zone=auth burst=9 nodelay;"]);
  });
});

import type { Settings } from "../../settings";
import { block, type ConfLine, printConf } from "./conf";

// The guide's nginx.conf ("Configuração do Nginx"), rendered from the stack's edge settings so
// Cloudflare, the ingress and this file enforce the same limits. Every feature of the guide's
// file is here, with its bugs fixed (each fix says why where it is made).

/** What every rendering shares, whatever machine it runs on: the stack's edge rules and hosts. */
export interface NginxRules {
  /** `healthflow:edge`: the body size limit and the general and auth rate limits. */
  edge: Settings["edge"];
  /** The `server_name` of the web app's server and of the API's server (`healthflow:dns`). */
  hosts: { app: string; api: string };
}

/**
 * Where the rules run: what differs between the guide's container, the dev stack and a test on
 * loopback. Defaults (`GUIDE_ENVIRONMENT`) are the guide's docker-compose.prod values.
 */
export interface NginxEnvironment {
  /** Worker user; null leaves the directive out (an unprivileged master cannot switch user). Default "nginx". */
  user: string | null;
  /** Default "/var/run/nginx.pid". */
  pidFile: string;
  /** Default "/var/log/nginx/error.log". */
  errorLog: string;
  /** Where the JSON access log goes. Default "/var/log/nginx/access.log". */
  accessLog: string;
  /** Default "/etc/nginx/mime.types". */
  mimeTypes: string;
  /** Address the servers bind; null binds every interface, as the guide's `listen 443`. Default null. */
  listenAddress: string | null;
  /** Port of the HTTP→HTTPS redirect server. Default 80. */
  httpPort: number;
  /** Port of the app and API servers. Default 443. */
  httpsPort: number;
  /** The HTTPS port clients see (a published Docker port may differ from httpsPort); redirects point there. Default 443. */
  publicHttpsPort: number;
  /** Default "/etc/nginx/ssl/fullchain.pem". */
  certificate: string;
  /** Default "/etc/nginx/ssl/privkey.pem". */
  certificateKey: string;
  /** host:port of the api and web apps. Default the compose service names, "api:3001" and "web:3000". */
  upstreams: { api: string; web: string };
  /** An existing writable directory for request/response buffers; null keeps nginx's compiled-in paths. Default null. */
  tempDir: string | null;
}

/** The guide's docker-compose.prod: nginx:alpine, ports 80/443, certificates in /etc/nginx/ssl. */
export const GUIDE_ENVIRONMENT: NginxEnvironment = {
  user: "nginx",
  pidFile: "/var/run/nginx.pid",
  errorLog: "/var/log/nginx/error.log",
  accessLog: "/var/log/nginx/access.log",
  mimeTypes: "/etc/nginx/mime.types",
  listenAddress: null,
  httpPort: 80,
  httpsPort: 443,
  publicHttpsPort: 443,
  certificate: "/etc/nginx/ssl/fullchain.pem",
  certificateKey: "/etc/nginx/ssl/privkey.pem",
  upstreams: { api: "api:3001", web: "web:3000" },
  tempDir: null,
};

/** The guide's access-log fields: name → nginx variable, and whether the value is a JSON number. */
export const ACCESS_LOG_FIELDS: [field: string, variable: string, numeric: boolean][] = [
  ["time", "$time_iso8601", false],
  ["remote_addr", "$remote_addr", false],
  ["method", "$request_method", false],
  // $uri, not $request_uri: query strings can carry tokens and patients' identifiers (LGPD).
  ["uri", "$uri", false],
  ["status", "$status", true],
  ["body_bytes_sent", "$body_bytes_sent", true],
  ["request_time", "$request_time", true],
  // A string: it is "-" without an upstream and a list when nginx retried another server.
  ["upstream_response_time", "$upstream_response_time", false],
];

/** The guide's gzip_types (text/html is always compressed once gzip is on). */
export const GZIP_TYPES = [
  "text/plain",
  "text/css",
  "application/json",
  "application/javascript",
  "text/xml",
  "application/xml",
  "application/xml+rss",
  "text/javascript",
];

/** The guide's TLS 1.2 ciphers (TLS 1.3 negotiates its own AEAD suites). */
export const TLS_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

/** Headers every response of the app and API servers carries, errors and 429s included (`always`). */
export const SECURITY_HEADERS: [name: string, value: string][] = [
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Content-Type-Options", "nosniff"],
  // "0", not the guide's "1; mode=block": browsers removed the XSS auditor, and where it survives
  // its blocking mode can itself leak cross-site data (OWASP's advice: disable it, rely on CSP).
  ["X-XSS-Protection", "0"],
  ["Strict-Transport-Security", "max-age=31536000; includeSubDomains"],
  ["Referrer-Policy", "strict-origin-when-cross-origin"],
];

/** The whole nginx.conf for these rules in this environment (guide's production values by default). */
export function renderNginxConf(rules: NginxRules, environment: Partial<NginxEnvironment> = {}): string {
  const env: NginxEnvironment = { ...GUIDE_ENVIRONMENT, ...environment };
  const { general, auth } = rules.edge.rateLimits;
  return printConf([
    "# Rendered from the stack's settings by components/nginx/render.ts; edit the settings, not this file.",
    ...(env.user ? [`user ${env.user};`] : []),
    "worker_processes auto;",
    `error_log ${env.errorLog} warn;`,
    `pid ${env.pidFile};`,
    "",
    ...block("events", ["worker_connections 4096;", "multi_accept on;", "use epoll;"]),
    "",
    ...block("http", [
      `include ${env.mimeTypes};`,
      "default_type application/octet-stream;",
      "# No version in the Server header and error pages: it tells a scanner which CVEs to try.",
      "server_tokens off;",
      ...tempPaths(env.tempDir),
      "",
      "# Logging",
      ...jsonLogFormat(),
      `access_log ${env.accessLog} json;`,
      "",
      "# Performance",
      "sendfile on;",
      "tcp_nopush on;",
      "tcp_nodelay on;",
      "keepalive_timeout 65;",
      "types_hash_max_size 2048;",
      "",
      "# Gzip",
      "gzip on;",
      "gzip_vary on;",
      "gzip_proxied any;",
      "gzip_comp_level 6;",
      `gzip_types ${GZIP_TYPES.join(" ")};`,
      "",
      "# Rate limiting (healthflow:edge.rateLimits). 429 tells a client to slow down; nginx's default, 503, says we failed.",
      `limit_req_zone $binary_remote_addr zone=general:10m rate=${general.requestsPerSecond}r/s;`,
      `limit_req_zone $binary_remote_addr zone=auth:10m rate=${auth.requestsPerMinute}r/m;`,
      "limit_req_status 429;",
      "",
      "# The same upload limit as the edge (healthflow:edge.maxBodySizeMb); nginx's own default is 1 MB.",
      `client_max_body_size ${rules.edge.maxBodySizeMb}m;`,
      "",
      "# WebSocket upgrades get `Connection: upgrade`; every other request an empty Connection header,",
      "# so upstream keepalive connections are reused (the guide sent 'upgrade' on every web request).",
      ...block("map $http_upgrade $connection_upgrade", ["default upgrade;", "'' '';"]),
      "",
      "# Upstreams",
      ...block("upstream api", ["least_conn;", `server ${env.upstreams.api};`, "keepalive 32;"]),
      "",
      ...block("upstream web", [`server ${env.upstreams.web};`, "keepalive 32;"]),
      "",
      "# HTTPS Server",
      ...block("server", [
        ...httpsServerHead(rules.hosts.app, env),
        "",
        ...block("location /", [
          `limit_req zone=general burst=${general.burst} nodelay;`,
          ...proxyTo("web", { websockets: true }),
          "proxy_cache_bypass $http_upgrade;",
        ]),
      ]),
      "",
      "# API Server",
      ...block("server", [
        ...httpsServerHead(rules.hosts.api, env),
        "",
        // Case-insensitive: NestJS on Express routes /API/V1/AUTH/login to the login handler, so a
        // case-sensitive prefix would let that spelling escape the auth limit. A regex location
        // also wins over the prefix `location /` (nginx checks regexes after prefixes).
        ...block(`location ${authLocation(auth.path)}`, [
          `limit_req zone=auth burst=${auth.burst} nodelay;`,
          ...proxyTo("api", { websockets: false }),
        ]),
        "",
        ...block("location /", [
          `limit_req zone=general burst=${general.burst} nodelay;`,
          ...proxyTo("api", { websockets: false }),
        ]),
        "",
        "# WebSocket support",
        ...block("location /socket.io", proxyTo("api", { websockets: true })),
      ]),
      "",
      "# HTTP to HTTPS redirect",
      ...block("server", [
        `listen ${listen(env, env.httpPort)};`,
        "server_name _;",
        `return 301 https://$host${env.publicHttpsPort === 443 ? "" : `:${env.publicHttpsPort}`}$request_uri;`,
      ]),
    ]),
  ]);
}

/** `path` as a PCRE pattern that matches exactly those characters (nginx and the F5 controller use PCRE). */
export function literalPattern(path: string): string {
  return path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The auth path's `location` arguments: a case-insensitive prefix match. */
export function authLocation(path: string): string {
  return `~* "^${literalPattern(path)}"`;
}

function listen(env: NginxEnvironment, port: number): string {
  return env.listenAddress ? `${env.listenAddress}:${port}` : String(port);
}

function tempPaths(dir: string | null): string[] {
  if (!dir) return [];
  return ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
    (kind) => `${kind}_temp_path ${dir}/${kind};`,
  );
}

/** The guide's `log_format json`: one JSON object per request, values escaped by nginx. */
function jsonLogFormat(): ConfLine[] {
  const members = ACCESS_LOG_FIELDS.map(([field, variable, numeric], i) => {
    const value = numeric ? variable : `"${variable}"`;
    const comma = i < ACCESS_LOG_FIELDS.length - 1 ? "," : "";
    return `'"${field}":${value}${comma}'`;
  });
  return ["log_format json escape=json '{'", members, "'}';"];
}

/**
 * TLS and security headers of an HTTPS server. Both servers get them: the guide gave the API
 * neither its TLS policy nor its headers. The headers are set here only, never in a location:
 * an `add_header` in a location would silently drop every one of them there.
 */
function httpsServerHead(host: string, env: NginxEnvironment): ConfLine[] {
  return [
    // `listen ... http2` rather than `http2 on;`: it works from Debian bookworm's nginx 1.22 (where
    // CI proves this file) to today's; nginx >= 1.25.1 only warns that it is deprecated.
    `listen ${listen(env, env.httpsPort)} ssl http2;`,
    `server_name ${host};`,
    "",
    `ssl_certificate ${env.certificate};`,
    `ssl_certificate_key ${env.certificateKey};`,
    "ssl_protocols TLSv1.2 TLSv1.3;",
    `ssl_ciphers ${TLS_CIPHERS};`,
    "ssl_prefer_server_ciphers off;",
    "",
    "# Security Headers",
    ...SECURITY_HEADERS.map(([name, value]) => `add_header ${name} "${value}" always;`),
  ];
}

/**
 * Proxies to an upstream over HTTP/1.1, which upstream keepalive needs. Every location repeats all
 * the headers because one `proxy_set_header` in a location discards the inherited ones.
 */
function proxyTo(upstream: "api" | "web", { websockets }: { websockets: boolean }): string[] {
  return [
    `proxy_pass http://${upstream};`,
    "proxy_http_version 1.1;",
    ...(websockets
      ? ["proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $connection_upgrade;"]
      : ['proxy_set_header Connection "";']),
    "proxy_set_header Host $host;",
    "proxy_set_header X-Real-IP $remote_addr;",
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "proxy_set_header X-Forwarded-Proto $scheme;",
  ];
}

import type { Settings } from "../../settings";
import { CLIENT_IP_HEADER, controllerConfigEntries } from "../ingress/config";
import { ACCESS_LOG_FIELDS, GZIP_TYPES } from "../nginx/render";
import { CLUSTER_ISSUER } from "../names";
import { ingresses } from "../workloads/ingress";
import { PLAN_LIMITS } from "../../settings/catalog/cloudflarePlans";
import { pathStartsWith } from "./expressions";
import { HSTS, rateLimits, securityHeaders, WEBSOCKET_PATH, zoneSettings } from "./rules";

// Where each rule of the guide's nginx.conf is enforced now that Cloudflare, the F5 NGINX
// Ingress Controller and the Ingress annotations replace that one file. Every cell quotes the
// value the program actually sets (read from the same builders the components use), so the
// docs/edge.md's table, which a test compares with this one, cannot claim a rule nobody enforces.

type Edge = Settings["edge"];

export interface EnforcementRow {
  /** The directive(s) of the guide's nginx.conf. */
  guide: string;
  cloudflare: string;
  controller: string;
  ingress: string;
}

const NONE = "—";
const code = (text: string) => `\`${text}\``;

/** The table for these edge settings. */
export function enforcementRows(edge: Edge): EnforcementRow[] {
  const entries = controllerConfigEntries(edge, ["<Cloudflare IPv4 ranges>"]);
  const entry = (...keys: string[]) =>
    keys
      .map((key) => {
        if (!(key in entries)) throw new Error(`the controller's ConfigMap has no ${key}`);
        return code(`${key}: ${entries[key]}`);
      })
      .join(", ");
  const byName = new Map(
    ingresses({ edge, hosts: { app: "app", api: "api" }, ports: { web: 3000, api: 3001 } }).map((i) => [
      i.name,
      i,
    ]),
  );
  const annotation = (name: string, ...keys: string[]) => {
    const ingress = byName.get(name);
    return keys
      .map((key) => {
        const value = ingress?.annotations[key];
        if (value === undefined) throw new Error(`Ingress ${name} has no ${key} annotation`);
        return code(`${key}: ${value}`);
      })
      .join(", ");
  };
  const settings = new Map(zoneSettings().map((s) => [s.id, s.value]));
  const setting = (...ids: string[]) =>
    ids
      .map((id) => {
        if (!settings.has(id)) throw new Error(`no zone setting ${id}`);
        const value = settings.get(id);
        return code(`${id}: ${typeof value === "string" ? value : "on"}`);
      })
      .join(", ");
  const limit = (ref: string) => {
    const rule = rateLimits(edge, { app: ["app"], api: ["api"] }).find((l) => l.ref === ref);
    if (!rule) throw new Error(`no rate limit ${ref}`);
    return `http_ratelimit ${code(ref)}: ${rule.requestsPerPeriod} requests / ${rule.periodSeconds} s per IP`;
  };
  const tlsSecrets = [...byName.values()].flatMap((i) => (i.spec.tls as { secretName: string }[]) ?? []);
  const { general, auth } = edge.rateLimits;
  const authAnyCase = rateLimits(edge, { app: ["app"], api: ["api"] })
    .find((l) => l.ref === "auth")
    ?.expression.includes(pathStartsWith(auth.path, { caseInsensitive: true }));
  const header = (name: string) => {
    const found = securityHeaders().find(([n]) => n === name);
    if (!found) throw new Error(`Cloudflare sets no ${name}`);
    return `${code(`${found[0]}: ${found[1]}`)} (http_response_headers_transform)`;
  };

  return [
    {
      guide: "`worker_processes auto`",
      cloudflare: NONE,
      controller: entry("worker-processes"),
      ingress: NONE,
    },
    {
      guide: "`worker_connections 4096`",
      cloudflare: NONE,
      controller: entry("worker-connections"),
      ingress: NONE,
    },
    {
      guide: "`multi_accept on; use epoll`",
      cloudflare: NONE,
      controller: "not carried over: no ConfigMap key (epoll is nginx's default on Linux)",
      ingress: NONE,
    },
    {
      guide: `\`log_format json\` (${ACCESS_LOG_FIELDS.map(([f]) => f).join(", ")})`,
      cloudflare: NONE,
      controller: `${code("log-format")} with the same fields, ${entry("log-format-escaping")}`,
      ingress: NONE,
    },
    {
      guide: "`sendfile on; tcp_nopush on; tcp_nodelay on`",
      cloudflare: NONE,
      controller:
        "the controller's template: `sendfile on`, `tcp_nodelay` (nginx default); `tcp_nopush` has no key",
      ingress: NONE,
    },
    {
      guide: "`keepalive_timeout 65`",
      cloudflare: NONE,
      controller: entry("keepalive-timeout"),
      ingress: NONE,
    },
    {
      guide: `\`gzip on\` (${GZIP_TYPES.length} types)`,
      cloudflare: "Cloudflare's default compression: these types in Brotli or gzip, as the visitor accepts",
      controller: "not configurable without snippets (disabled); Cloudflare does it at the edge",
      ingress: NONE,
    },
    {
      guide: `\`limit_req zone=general\` ${general.requestsPerSecond} r/s, burst ${general.burst}`,
      cloudflare: limit("general"),
      controller: NONE,
      ingress: `healthflow-web, healthflow-api-root: ${annotation("healthflow-web", "nginx.org/limit-req-rate", "nginx.org/limit-req-burst")}`,
    },
    {
      guide: `\`limit_req zone=auth\` ${auth.requestsPerMinute} r/min, burst ${auth.burst} on \`${auth.path}\``,
      cloudflare: `${limit("auth")}${authAnyCase ? ", the path in any letter case" : ""}`,
      controller: NONE,
      ingress: `healthflow-api-auth: ${annotation("healthflow-api-auth", "nginx.org/limit-req-rate", "nginx.org/limit-req-burst", "nginx.org/path-regex")}`,
    },
    {
      guide: "`upstream … keepalive 32`",
      cloudflare: NONE,
      controller: entry("keepalive"),
      ingress: NONE,
    },
    { guide: "`least_conn` (api upstream)", cloudflare: NONE, controller: entry("lb-method"), ingress: NONE },
    {
      guide: "`listen 443 ssl http2`",
      cloudflare: `${setting("http3")} (HTTP/2 and HTTP/3 to visitors)`,
      controller: entry("http2"),
      ingress: NONE,
    },
    {
      guide: "`ssl_protocols TLSv1.2 TLSv1.3`",
      cloudflare: setting("min_tls_version", "tls_1_3"),
      controller: entry("ssl-protocols"),
      ingress: NONE,
    },
    {
      guide: "`ssl_ciphers …; ssl_prefer_server_ciphers off`",
      cloudflare: NONE,
      controller: entry("ssl-ciphers", "ssl-prefer-server-ciphers"),
      ingress: NONE,
    },
    {
      guide: "`ssl_certificate` (files in /etc/nginx/ssl)",
      cloudflare: `${setting("ssl")}: Cloudflare validates the origin's certificate`,
      controller: `cert-manager Certificates from ${code(CLUSTER_ISSUER)} (Let's Encrypt, DNS-01 in the ACME challenge zone)`,
      ingress: `${code("tls.secretName")}: ${tlsSecrets.map((t) => code(t.secretName)).join(", ")}`,
    },
    {
      guide: "`add_header X-Frame-Options SAMEORIGIN`",
      cloudflare: header("X-Frame-Options"),
      controller: NONE,
      ingress: NONE,
    },
    {
      guide: "`add_header X-Content-Type-Options nosniff`",
      cloudflare: header("X-Content-Type-Options"),
      controller: NONE,
      ingress: NONE,
    },
    {
      guide: "`add_header X-XSS-Protection`",
      cloudflare: `${header("X-XSS-Protection")}: the auditor is gone from browsers`,
      controller: NONE,
      ingress: NONE,
    },
    {
      guide: `\`add_header Strict-Transport-Security\` (${HSTS.maxAgeSeconds} s, subdomains)`,
      cloudflare: `${code("security_header")}: HSTS max-age ${HSTS.maxAgeSeconds}, includeSubDomains`,
      controller: entry("hsts", "hsts-max-age", "hsts-include-subdomains"),
      ingress: annotation("healthflow-web", "nginx.org/hsts", "nginx.org/hsts-max-age"),
    },
    {
      guide: "(not in the guide) `Referrer-Policy`, `Permissions-Policy`",
      cloudflare: `${header("Referrer-Policy")}, ${header("Permissions-Policy")}`,
      controller: NONE,
      ingress: NONE,
    },
    {
      guide: "`proxy_set_header X-Real-IP $remote_addr` (and X-Forwarded-For)",
      cloudflare: `sends ${code(CLIENT_IP_HEADER)} with the visitor's address`,
      controller: `${entry("real-ip-header")}, ${code("set-real-ip-from")} Cloudflare's ranges only; the controller sets X-Real-IP and X-Forwarded-For`,
      ingress: NONE,
    },
    {
      guide: `\`location ${WEBSOCKET_PATH}\` (WebSocket upgrade)`,
      cloudflare: `${setting("websockets")}; only \`transport=websocket\` is exempt from the rate limits (long-polling counts)`,
      controller: NONE,
      ingress: `healthflow-api-socketio: ${annotation("healthflow-api-socketio", "nginx.org/websocket-services", "nginx.org/proxy-read-timeout", "nginx.org/limit-req-rate")}`,
    },
    {
      guide: `\`client_max_body_size\` (guide's Ingress: ${edge.maxBodySizeMb}m)`,
      cloudflare: `plan "${edge.cloudflarePlan}" accepts bodies up to ${PLAN_LIMITS[edge.cloudflarePlan].maxUploadMb} MB`,
      controller: entry("client-max-body-size"),
      ingress: annotation("healthflow-web", "nginx.org/client-max-body-size"),
    },
    {
      guide: "`return 301 https://$host$request_uri` (port 80)",
      cloudflare: setting("always_use_https", "automatic_https_rewrites"),
      controller: entry("ssl-redirect"),
      ingress: annotation("healthflow-web", "nginx.org/ssl-redirect"),
    },
    {
      guide: "(not in the guide) `server_tokens off`",
      cloudflare: NONE,
      controller: entry("server-tokens"),
      ingress: NONE,
    },
  ];
}

/** The rows as docs/edge.md's Markdown table. */
export function renderEnforcementTable(rows: EnforcementRow[]): string {
  const lines = [
    "| The guide's nginx.conf | Cloudflare | Ingress controller (ConfigMap) | Ingress annotations |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| ${[r.guide, r.cloudflare, r.controller, r.ingress].map(escapeCell).join(" | ")} |`),
  ];
  return lines.join("\n");
}

const escapeCell = (text: string) => text.replace(/\|/g, "\\|");

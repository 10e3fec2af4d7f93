import type { Settings } from "../../settings";
import { HSTS } from "../edge/rules";
import { ACCESS_LOG_FIELDS, TLS_CIPHERS } from "../nginx/render";
import { ORIGIN_PULL_CA_PATH, WORKER_SHUTDOWN_TIMEOUT_SECONDS } from "./values";

// The controller's global ConfigMap (`controller.config.entries` of the nginx-ingress chart): the
// guide's nginx.conf `http`/`events` directives in the F5 NGINX Ingress Controller's own keys
// (docs.nginx.com › ConfigMap resources). Per-host rules (rate limits, body size, WebSocket) are
// the Ingress annotations of components/workloads/ingress.ts.

/** The header Cloudflare puts the visitor's address in (one address, set by Cloudflare itself). */
export const CLIENT_IP_HEADER = "CF-Connecting-IP";

/** The guide's `log_format json`, as one line of the controller's `log-format` (escaped as JSON by nginx). */
export function jsonLogFormat(): string {
  const members = ACCESS_LOG_FIELDS.map(
    ([field, variable, numeric]) => `"${field}":${numeric ? variable : `"${variable}"`}`,
  );
  return `{${members.join(",")}}`;
}

/**
 * Every ConfigMap entry, values as strings (a ConfigMap holds strings only). `trustedProxies` are
 * the addresses allowed to name the client in CF-Connecting-IP: Cloudflare's ranges. Anyone else
 * who could reach nginx could otherwise forge their address, and the rate limits with it.
 */
export function controllerConfigEntries(
  edge: Settings["edge"],
  trustedProxies: readonly string[],
  originPull = false,
): Record<string, string> {
  if (trustedProxies.length === 0)
    throw new Error("the controller needs the proxies it trusts for the client IP");
  return {
    "worker-processes": "auto",
    "worker-connections": "4096",
    // Old workers of a reload or a shutdown finish their requests, then close what is left (values.ts).
    "worker-shutdown-timeout": `${WORKER_SHUTDOWN_TIMEOUT_SECONDS}s`,
    "error-log-level": "warn",
    "log-format": jsonLogFormat(),
    "log-format-escaping": "json",
    "keepalive-timeout": "65s",
    // Upstream keepalive connections per worker (the guide's `keepalive 32`).
    keepalive: "32",
    "lb-method": "least_conn",
    http2: "true",
    "ssl-protocols": "TLSv1.2 TLSv1.3",
    "ssl-ciphers": TLS_CIPHERS,
    "ssl-prefer-server-ciphers": "false",
    "ssl-redirect": "true",
    hsts: "true",
    "hsts-max-age": String(HSTS.maxAgeSeconds),
    "hsts-include-subdomains": String(HSTS.includeSubdomains),
    "client-max-body-size": `${edge.maxBodySizeMb}m`,
    "server-tokens": "false",
    "real-ip-header": CLIENT_IP_HEADER,
    "set-real-ip-from": trustedProxies.join(","),
    ...(originPull ? { "server-snippets": originPullSnippets(edge.originPullValidation ?? "on") } : {}),
  };
}

/**
 * Authenticated Origin Pulls, the origin's half (components/edge/originPull.ts): every TLS server
 * of the controller asks the client for a certificate our CA signed (nginx's ngx_http_ssl_module:
 * with `ssl_verify_client on` a request without one gets 400 "No required SSL certificate was
 * sent", one another CA signed 400 "The SSL certificate error"; with `optional` a request without
 * one passes, a bad one still fails, the transition Cloudflare's docs prescribe: "optional" first,
 * turn on the zone's pulls, confirm, then "on"). The ConfigMap's `server-snippets` key, the
 * controller's documented way to add directives to every server: F5 NGINX Ingress Controller
 * 5.5.4 reads it in ParseConfigMap (internal/configs/configmaps.go) with no `-enable-snippets`
 * gate, which guards the Ingress annotations only (internal/k8s/validation.go,
 * validateSnippetsAnnotation), and puts it in each Ingress server (internal/configs/ingress.go).
 * The Ingress annotations stay snippet-free (`enableSnippets: false`).
 */
export function originPullSnippets(validation: "on" | "optional"): string {
  return [`ssl_client_certificate ${ORIGIN_PULL_CA_PATH};`, `ssl_verify_client ${validation};`].join("\n");
}

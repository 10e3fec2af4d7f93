import type * as cloudflare from "@pulumi/cloudflare";
import type { Settings } from "../../settings";
import { SECURITY_HEADERS } from "../nginx/render";
import { allOf, anyOf, hostIn, not, pathStartsWith, queryHasArgument } from "./expressions";
import { internalPathRules } from "./firewall";
import { RATE_LIMIT_WINDOWS } from "../../settings/catalog/cloudflarePlans";

// What the zone enforces, as plain data: zone settings and the rules of each ruleset phase, built
// from the shared edge settings (the same numbers the ingress and the guide's nginx use). The
// component only turns these into resources; tests read them without mocks.

type Edge = Settings["edge"];
type Rule = cloudflare.types.input.RulesetRule;

/** Every host the zone-wide rules cover, by role: this stack's and those of the stacks sharing the zone. */
export interface ZoneHosts {
  app: string[];
  api: string[];
}

/** Managed rulesets: fixed ids, the same in every account. */
export const MANAGED_RULESETS = {
  /** Cloudflare Managed Ruleset (Pro and above). */
  cloudflareManaged: "efb7b8c949ac4650a09736fc376e9aee",
  /** Cloudflare OWASP Core Ruleset (Pro and above). */
  owaspCore: "4814384a9e5d4991b9815dcfc25d2f1f",
} as const;

/** The OWASP ruleset's last rule, "949110: Inbound Anomaly Score Exceeded": it blocks on the total score. */
export const OWASP_ANOMALY_RULE = "6179ae15870a4bb7b2d480d4843b323c";
/** Paranoia level 1 and score threshold "medium" (40): Cloudflare's default, few false positives on JSON APIs. */
export const OWASP_SCORE_THRESHOLD = 40;

/** The path the guide's nginx proxies as WebSocket (no rate limit there: one long-lived connection). */
export const WEBSOCKET_PATH = "/socket.io";
/** Next.js build output: content-hashed file names, so a year at the edge is safe. */
export const NEXT_STATIC_PATH = "/_next/static/";
export const STATIC_EDGE_TTL_SECONDS = 365 * 24 * 3600;
/** Error statuses the static-asset rule never stores at the edge, whatever the origin says. */
export const NEVER_CACHED_STATUSES = { from: 400, to: 599 };

/** HSTS as the guide sets it: one year, subdomains included, not preloaded (preloading is one-way). */
export const HSTS = { maxAgeSeconds: 31536000, includeSubdomains: true, preload: false };

/** Browser features the apps never use, denied so injected script cannot use them either. */
export const PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/** Response headers Cloudflare sets on every response of the zone's hosts (HSTS is the zone setting). */
export function securityHeaders(): [name: string, value: string][] {
  return [
    ...SECURITY_HEADERS.filter(([name]) => name !== "Strict-Transport-Security"),
    ["Permissions-Policy", PERMISSIONS_POLICY],
  ];
}

/** Zone settings (v6 `cloudflare.ZoneSetting`: one setting id and its value each). */
export function zoneSettings(): { id: string; value: unknown }[] {
  return [
    // Cloudflare validates the origin's certificate (cert-manager's Let's Encrypt certificate).
    { id: "ssl", value: "strict" },
    { id: "min_tls_version", value: "1.2" },
    { id: "tls_1_3", value: "on" },
    { id: "always_use_https", value: "on" },
    { id: "automatic_https_rewrites", value: "on" },
    {
      id: "security_header",
      value: {
        strict_transport_security: {
          enabled: true,
          max_age: HSTS.maxAgeSeconds,
          include_subdomains: HSTS.includeSubdomains,
          preload: HSTS.preload,
          nosniff: true,
        },
      },
    },
    { id: "http3", value: "on" },
    // No `brotli` setting: Cloudflare deprecated it (end of life June 2024) and compresses for
    // visitors by default, Brotli or gzip as the browser accepts (developers.cloudflare.com/rules/
    // compression-rules/settings, "Enable Brotli and Gzip compression" is the default).
    { id: "websockets", value: "on" },
  ];
}

/** http_request_firewall_managed: the Cloudflare Managed Ruleset, then OWASP at paranoia level 1. */
export function managedWafRules(): Rule[] {
  return [
    {
      ref: "cloudflare-managed",
      description: "Cloudflare Managed Ruleset",
      expression: "true",
      action: "execute",
      actionParameters: { id: MANAGED_RULESETS.cloudflareManaged },
      enabled: true,
    },
    {
      ref: "owasp-core",
      description: `Cloudflare OWASP Core Ruleset: paranoia level 1, block at anomaly score ${OWASP_SCORE_THRESHOLD}`,
      expression: "true",
      action: "execute",
      actionParameters: {
        id: MANAGED_RULESETS.owaspCore,
        overrides: {
          categories: ["paranoia-level-2", "paranoia-level-3", "paranoia-level-4"].map((category) => ({
            category,
            enabled: false,
          })),
          rules: [{ id: OWASP_ANOMALY_RULE, action: "block", scoreThreshold: OWASP_SCORE_THRESHOLD }],
        },
      },
      enabled: true,
    },
  ];
}

/** One rate limiting rule, before it becomes a ruleset rule. */
export interface RateLimit {
  ref: string;
  description: string;
  expression: string;
  /** Counting window, seconds. */
  periodSeconds: number;
  /** Requests one client IP may make in the window. */
  requestsPerPeriod: number;
  /** How long a client that went over stays blocked, seconds. */
  mitigationTimeoutSeconds: number;
  /** The expression tests the Host header (Pro and above). */
  byHost: boolean;
}

/**
 * The guide's two `limit_req` zones at the edge, per client IP. nginx admits at most
 * rate × window + burst requests in any window, so that is the threshold here: 100 r/s with
 * burst 50 is 1050 per 10 s, and 10 r/min with burst 5 is 15 per minute. As in nginx, the auth
 * path counts only against its own limit. A WebSocket connection counts against none (one request
 * for a long-lived connection); socket.io's HTTP long-polling, a request every few seconds on the
 * same path, counts against the general limit: only `transport=websocket` is exempt, or the path
 * would be an unlimited way to the API.
 */
export function rateLimits(edge: Edge, hosts: ZoneHosts): RateLimit[] {
  const { general, auth } = edge.rateLimits;
  // The limits name no host: the zone serves only our hosts, and `http.host` is the request's Host
  // header as sent ("contains the Host header from the original request", the field's reference), so
  // `Host: api.example.com:443` or a trailing dot would slip past a host term while nginx still
  // routes it. A protection applies to the whole zone; only an exemption names a host, where a
  // spelling it does not match leaves the request limited (failing closed).
  // NestJS routes /API/V1/AUTH/login to the login handler too: the auth path is matched in any case.
  const authPath = pathStartsWith(auth.path, { caseInsensitive: true });
  const socketPath = allOf(
    hostIn(hosts.api),
    pathStartsWith(WEBSOCKET_PATH),
    queryHasArgument("transport", "websocket"),
  );
  const { general: generalWindow, auth: authWindow } = RATE_LIMIT_WINDOWS;
  return [
    {
      ref: "auth",
      description: `${auth.path}: ${auth.requestsPerMinute} r/min, burst ${auth.burst} (brute force on login)`,
      expression: authPath,
      periodSeconds: authWindow,
      requestsPerPeriod: auth.requestsPerMinute * (authWindow / 60) + auth.burst,
      mitigationTimeoutSeconds: authWindow,
      byHost: false,
    },
    {
      ref: "general",
      description: `every request: ${general.requestsPerSecond} r/s, burst ${general.burst}`,
      expression: not(anyOf(authPath, socketPath)),
      periodSeconds: generalWindow,
      requestsPerPeriod: general.requestsPerSecond * generalWindow + general.burst,
      mitigationTimeoutSeconds: generalWindow,
      byHost: true,
    },
  ];
}

/** http_ratelimit: the rate limits as ruleset rules; over the limit, Cloudflare answers 429. */
export function rateLimitRules(edge: Edge, hosts: ZoneHosts): Rule[] {
  return rateLimits(edge, hosts).map((limit) => ({
    ref: limit.ref,
    description: limit.description,
    expression: limit.expression,
    action: "block",
    ratelimit: {
      // cf.colo.id is mandatory: Cloudflare counts per data center. In the order the API returns
      // them and every provider acceptance test and doc writes them: another order comes back
      // reordered and fails the create with "inconsistent result" (terraform-provider-cloudflare
      // ruleset tests; developers.cloudflare.com/waf/rate-limiting-rules/parameters).
      characteristics: ["cf.colo.id", "ip.src"],
      period: limit.periodSeconds,
      requestsPerPeriod: limit.requestsPerPeriod,
      mitigationTimeout: limit.mitigationTimeoutSeconds,
    },
    enabled: true,
  }));
}

/**
 * http_request_cache_settings: nothing is cached (responses carry patients' data) but Next.js's
 * hashed assets on the web app's hosts, for a year. Bypass first, for every request of the zone;
 * the asset rule after it overrides it (later rules of the phase override earlier ones' settings:
 * Cloudflare docs, "Cache Rules: order and priority"). A Host spelt otherwise than the app's is
 * not cached: failing closed.
 */
export function cacheRules(hosts: ZoneHosts): Rule[] {
  return [
    {
      ref: "bypass",
      description: "Nothing is cached by default (responses carry patients' data)",
      expression: "true",
      action: "set_cache_settings",
      actionParameters: { cache: false },
      enabled: true,
    },
    {
      ref: "next-static",
      description: `Next.js static assets (${NEXT_STATIC_PATH}): a year at the edge`,
      expression: allOf(hostIn(hosts.app), pathStartsWith(NEXT_STATIC_PATH)),
      action: "set_cache_settings",
      actionParameters: {
        cache: true,
        edgeTtl: {
          mode: "override_origin",
          default: STATIC_EDGE_TTL_SECONDS,
          // During a rolling deploy a pod of the old build answers 404 for the new build's assets
          // (and a 502 may pass by): a year of that at the edge would break every page that needs
          // them. -1 is Cache-Control "no-store" (the provider's statusCodeTtls.value docs).
          statusCodeTtls: [{ statusCodeRange: NEVER_CACHED_STATUSES, value: -1 }],
        },
        browserTtl: { mode: "respect_origin" },
      },
      enabled: true,
    },
  ];
}

/** http_response_headers_transform: the security headers on every response of the zone's hosts. */
export function securityHeaderRules(): Rule[] {
  return [
    {
      ref: "security-headers",
      description: "Security headers of the guide's nginx, plus Permissions-Policy",
      // Every response of the zone (it serves only our hosts): no Host spelling goes without them.
      expression: "true",
      action: "rewrite",
      actionParameters: {
        headers: Object.fromEntries(
          securityHeaders().map(([name, value]) => [name, { operation: "set", value }]),
        ),
      },
      enabled: true,
    },
  ];
}

/**
 * The name of each phase's entry-point ruleset. Never change one: a new name replaces the ruleset
 * (the provider marks `name` RequiresReplace), which leaves the phase without rules while the old
 * one is deleted and the new one created (Cloudflare allows one entry point per phase and zone).
 */
export const RULESET_NAMES = {
  http_request_firewall_custom: "healthflow internal paths",
  http_request_firewall_managed: "healthflow managed WAF",
  http_ratelimit: "healthflow rate limits",
  http_request_cache_settings: "healthflow cache rules",
  http_response_headers_transform: "healthflow security headers",
} as const;

export type RulesetPhase = keyof typeof RULESET_NAMES;

/** Every ruleset of the zone: phase → name and rules. */
export function zoneRulesets(
  edge: Edge,
  hosts: ZoneHosts,
): { phase: RulesetPhase; name: string; rules: Rule[] }[] {
  const rules: Record<RulesetPhase, Rule[]> = {
    http_request_firewall_custom: internalPathRules(),
    http_request_firewall_managed: managedWafRules(),
    http_ratelimit: rateLimitRules(edge, hosts),
    http_request_cache_settings: cacheRules(hosts),
    http_response_headers_transform: securityHeaderRules(),
  };
  return (Object.keys(RULESET_NAMES) as RulesetPhase[]).map((phase) => ({
    phase,
    name: RULESET_NAMES[phase],
    rules: rules[phase],
  }));
}

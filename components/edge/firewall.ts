import type * as cloudflare from "@pulumi/cloudflare";
import { anyOf, quote } from "./expressions";

// http_request_firewall_custom: what the public never reaches. The api serves its metrics on a
// port no Ingress routes (components/workloads), and the apps' health endpoints are for the
// kubelet; this is the edge's half of the same rule, in case an app also answers them on its HTTP
// port. Custom rules run on every plan (Free has 5, Pro 20); this phase holds one.

/** Paths only the cluster may call: Prometheus' scrape path and the probes of the guide's health controller. */
export const INTERNAL_PATHS = ["/metrics", "/health"] as const;

/**
 * The path is `prefix` or below it, whatever its case: Express (under NestJS) matches routes
 * case-insensitively, so /METRICS reaches /metrics. Segment-exact, so /healthcare stays public.
 */
export function pathIsOrUnder(prefix: string): string {
  const path = "lower(http.request.uri.path)";
  const lower = prefix.toLowerCase();
  return anyOf(`${path} eq ${quote(lower)}`, `starts_with(${path}, ${quote(`${lower}/`)})`);
}

/**
 * The custom firewall rules: block the internal paths on every host of the zone (403). No host term:
 * `http.host` is the Host header as sent, and a port or a trailing dot would slip past one.
 */
export function internalPathRules(): cloudflare.types.input.RulesetRule[] {
  return [
    {
      ref: "internal-paths",
      description: `Internal endpoints (${INTERNAL_PATHS.join(", ")}) are not public`,
      expression: anyOf(...INTERNAL_PATHS.map(pathIsOrUnder)),
      action: "block",
      enabled: true,
    },
  ];
}

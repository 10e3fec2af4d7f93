import { INTERNAL_PATHS, internalPathRules } from "../../../components/edge/firewall";
import { find } from "../../harness";
import { plannedRun } from "../../harness/plans";
import { readStackConfig } from "../../../tools/engine/stackConfig";
import { matches } from "./rulesLanguage";

// The edge's half of "metrics stay inside": the zone's custom firewall rules block the apps'
// internal endpoints on every host of the zone, whatever the case of the path (Express, under
// NestJS, routes case-insensitively) and however the Host header is spelt, and leave the rest of
// the site alone.

const hosts = { app: ["app.example.com.br", "app-staging.example.com.br"], api: ["api.example.com.br"] };
const [rule] = internalPathRules();
const blocked = (host: string, path: string) => matches(rule.expression as string, { host, path });

test("the internal paths are blocked on every public host, in any case, below them too", () => {
  expect(rule.action).toBe("block");
  for (const host of [...hosts.app, ...hosts.api])
    for (const path of [
      "/metrics",
      "/METRICS",
      "/metrics/",
      "/Metrics/extra",
      "/health",
      "/health/live",
      "/HEALTH/ready",
    ])
      expect([host, path, blocked(host, path)]).toEqual([host, path, true]);
  expect(INTERNAL_PATHS).toEqual(["/metrics", "/health"]);
});

test("a Host spelt with a port, a trailing dot or in capitals is blocked too: the rule names no host", () => {
  // http.host is the Host header as the client sent it (the field's reference): nothing normalises it.
  for (const host of [
    "api.example.com.br:443",
    "api.example.com.br.",
    "API.EXAMPLE.COM.BR",
    "other.example.com.br",
  ])
    expect([host, blocked(host, "/metrics")]).toEqual([host, true]);
});

test("everything else stays public: pages that merely start with the same letters", () => {
  for (const path of [
    "/",
    "/healthcare",
    "/health-tips",
    "/metrics-dashboard",
    "/api/v1/health",
    "/_next/static/x.js",
  ])
    expect([path, blocked("app.example.com.br", path)]).toEqual([path, false]);
});

test.each(["staging", "production"])(
  "%s owns its zone's custom firewall phase and blocks the internal paths of every host the zone serves",
  (stack) => {
    const run = plannedRun(stack);
    const dns = JSON.parse(readStackConfig(stack).config["healthflow:dns"]);
    const ruleset = find(run.resources, "cloudflare:index/ruleset:Ruleset", "http-request-firewall-custom")
      .inputs as any;
    expect([ruleset.kind, ruleset.phase]).toEqual(["zone", "http_request_firewall_custom"]);
    const expression = ruleset.rules[0].expression;
    const shared = (dns.cloudflare.sharedWith ?? []).flatMap((s: any) => [s.appHost, s.apiHost]);
    for (const host of [dns.appHost, dns.apiHost, ...shared])
      expect([host, matches(expression, { host, path: "/metrics" })]).toEqual([host, true]);
  },
);

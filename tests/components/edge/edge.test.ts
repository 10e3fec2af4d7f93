import * as fs from "fs";
import * as path from "path";
import { enforcementRows, renderEnforcementTable } from "../../../components/edge/enforcement";
import { allOf, anyOf, hostIn, not, pathStartsWith, quote } from "../../../components/edge/expressions";
import { acmeChallengeCname } from "../../../components/edge/acme";
import {
  cheapestPlanFor,
  PLAN_LIMITS,
  planProblems,
  RATE_LIMIT_BY_HOST,
  RATE_LIMIT_WINDOWS,
  rateLimitPlan,
  SUPPORTED_PERIODS,
} from "../../../settings/catalog/cloudflarePlans";
import {
  HSTS,
  MANAGED_RULESETS,
  rateLimits,
  securityHeaders,
  STATIC_EDGE_TTL_SECONDS,
  WEBSOCKET_PATH,
  zoneRulesets,
  type ZoneHosts,
} from "../../../components/edge/rules";
import { SECURITY_HEADERS } from "../../../components/nginx/render";
import { ingresses } from "../../../components/workloads/ingress";
import { find, ofType, type ProgramRun } from "../../harness";
import { UNKNOWN } from "../../../tools/engine/engine";
import { matches } from "./rulesLanguage";
import { knownRun, plannedRun } from "../../harness/plans";
import { PROJECT_ROOT, readStackConfig } from "../../../tools/engine/stackConfig";

// Cloudflare in front of the ingress: what each stack declares (records, zone settings, and the
// rulesets of the stack that owns them), the rule expressions and limits as pure functions, and
// docs/edge.md's table of where each rule of the guide's nginx.conf is enforced now.

const config = (stack: string, key: string) => JSON.parse(readStackConfig(stack).config[`healthflow:${key}`]);
const edge = () => config("production", "edge");
const hosts: ZoneHosts = { app: ["app.example.com", "app-staging.example.com"], api: ["api.example.com"] };

describe("rule expressions", () => {
  test("strings are quoted and escaped; control characters are refused", () => {
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => quote("a\nb")).toThrow(/control character/);
  });

  test("hosts: lower(http.host), eq for one, a sorted set for several; an empty list is an error", () => {
    expect(hostIn(["API.example.com"])).toBe('lower(http.host) eq "api.example.com"');
    expect(hostIn(["b.example.com", "a.example.com", "b.example.com"])).toBe(
      'lower(http.host) in {"a.example.com" "b.example.com"}',
    );
    expect(() => hostIn([])).toThrow(/at least one host/);
    expect(() => pathStartsWith("api")).toThrow(/must start with \//);
  });

  test("paths: lower() where the app ignores case, the raw path where it does not", () => {
    expect(pathStartsWith("/API/v1/Auth", { caseInsensitive: true })).toBe(
      'starts_with(lower(http.request.uri.path), "/api/v1/auth")',
    );
    expect(pathStartsWith("/socket.io")).toBe('starts_with(http.request.uri.path, "/socket.io")');
    // The evaluator compares as Cloudflare does, case-sensitively: the raw field misses other spellings.
    expect(matches(pathStartsWith("/api/v1/auth"), { host: "a", path: "/API/V1/AUTH/login" })).toBe(false);
    expect(
      matches(pathStartsWith("/api/v1/auth", { caseInsensitive: true }), {
        host: "a",
        path: "/API/V1/AUTH/login",
      }),
    ).toBe(true);
  });

  test("composition keeps precedence whatever the terms contain", () => {
    const expression = allOf(anyOf(hostIn(["a"]), hostIn(["b"])), not(pathStartsWith("/x")));
    expect(expression).toBe(
      '((lower(http.host) eq "a") or (lower(http.host) eq "b")) and (not (starts_with(http.request.uri.path, "/x")))',
    );
    expect(matches(expression, { host: "B", path: "/y" })).toBe(true);
    expect(matches(expression, { host: "b", path: "/x/1" })).toBe(false);
    expect(matches(expression, { host: "c", path: "/y" })).toBe(false);
  });
});

describe("rate limits from the shared edge settings", () => {
  test("nginx's rate × window + burst per client IP: 1050 per 10 s, 15 per minute on the auth path", () => {
    const { general, auth } = edge().rateLimits;
    const limits = Object.fromEntries(rateLimits(edge(), hosts).map((l) => [l.ref, l]));
    expect(limits.general).toMatchObject({
      periodSeconds: 10,
      requestsPerPeriod: general.requestsPerSecond * 10 + general.burst,
      mitigationTimeoutSeconds: 10,
    });
    expect(limits.auth).toMatchObject({
      periodSeconds: 60,
      requestsPerPeriod: auth.requestsPerMinute + auth.burst,
    });
    for (const limit of Object.values(limits)) expect(SUPPORTED_PERIODS).toContain(limit.periodSeconds);
  });

  test("the auth rule as Cloudflare gets it: the path lower-cased before it is compared, on every host", () => {
    const [auth] = rateLimits(edge(), { app: ["app.example.com"], api: ["api.example.com"] });
    expect(auth.expression).toBe('starts_with(lower(http.request.uri.path), "/api/v1/auth")');
  });

  test("as in the guide's locations: auth counts once, in any letter case; a WebSocket not at all; every Host spelling", () => {
    const [auth, general] = rateLimits(edge(), hosts);
    const authPath = edge().rateLimits.auth.path;
    const which = (host: string, p: string, query?: string) =>
      [auth, general].filter((l) => matches(l.expression, { host, path: p, query })).map((l) => l.ref);
    expect(which("api.example.com", `${authPath}/login`)).toEqual(["auth"]);
    // NestJS routes these to the login handler too: they count against the auth limit, not the general one.
    expect(which("API.Example.COM", `${authPath.toUpperCase()}/login`)).toEqual(["auth"]);
    expect(which("api.example.com", "/Api/V1/Auth/refresh")).toEqual(["auth"]);
    expect(which("APP-STAGING.example.com", "/")).toEqual(["general"]);
    expect(which("api.example.com", "/api/v1/patients")).toEqual(["general"]);
    // socket.io v4's WebSocket connection (EIO=4&transport=websocket) counts against none; its HTTP
    // long-polling (transport=polling) is ordinary requests and counts against the general limit,
    // as does a query that only spells the words elsewhere.
    expect(which("api.example.com", `${WEBSOCKET_PATH}/`, "EIO=4&transport=websocket")).toEqual([]);
    expect(which("api.example.com", `${WEBSOCKET_PATH}/`, "EIO=4&transport=polling&t=P1a2b3c")).toEqual([
      "general",
    ]);
    expect(which("api.example.com", `${WEBSOCKET_PATH}/`, "EIO=4&x=transport%3Dwebsocket")).toEqual([
      "general",
    ]);
    expect(which("api.example.com", `${WEBSOCKET_PATH}/`)).toEqual(["general"]);
    // The pair wherever it stands in the raw query (Cloudflare decodes nothing), and only the pair.
    expect(which("api.example.com", `${WEBSOCKET_PATH}/`, "transport=websocket&EIO=4")).toEqual([]);
    expect(which("api.example.com", `${WEBSOCKET_PATH}/`, "EIO=4&transport=websocket&sid=Xk2")).toEqual([]);
    expect(which("api.example.com", `${WEBSOCKET_PATH}/`, "transport=websocket")).toEqual([]);
    expect(which("api.example.com", `${WEBSOCKET_PATH}/`, "EIO=4&transport=websocketx")).toEqual(["general"]);
    expect(which("api.example.com", `${WEBSOCKET_PATH}/`, "EIO=4&x=transport=websocket")).toEqual([
      "general",
    ]);
    // The limits name no host (the zone serves only ours): a Host with a port or a trailing dot, which
    // http.host keeps as sent, is limited all the same, and the auth path on any host counts as auth.
    expect(which("api.example.com:443", "/api/v1/patients")).toEqual(["general"]);
    expect(which("api.example.com.", `${authPath}/login`)).toEqual(["auth"]);
    expect(which("app-staging.example.com", authPath)).toEqual(["auth"]);
    expect(which("other.example.com", "/")).toEqual(["general"]);
    // The WebSocket exemption names the API host: another spelling of it is limited (failing closed).
    expect(which("api.example.com:443", `${WEBSOCKET_PATH}/`, "EIO=4&transport=websocket")).toEqual([
      "general",
    ]);
  });

  test("the settings' catalog knows each rule's window and whether it tests the Host field, as the rules are built", () => {
    const hosts = { app: ["app.example.com"], api: ["api.example.com"] };
    expect(
      rateLimits(edge(), hosts).map((rule) => [
        rule.ref,
        rule.periodSeconds,
        rule.byHost,
        /http\.host/.test(rule.expression),
      ]),
    ).toEqual([
      ["auth", RATE_LIMIT_WINDOWS.auth, RATE_LIMIT_BY_HOST.auth, RATE_LIMIT_BY_HOST.auth],
      ["general", RATE_LIMIT_WINDOWS.general, RATE_LIMIT_BY_HOST.general, RATE_LIMIT_BY_HOST.general],
    ]);
    // The general rule's Host test alone would need Pro; the auth path limit names no host.
    expect(RATE_LIMIT_BY_HOST).toEqual({ general: true, auth: false });
  });

  test("the edge needs Pro: two rules, a 60 s window and the Host field; Free is refused with reasons", () => {
    // The settings judge the plan from the windows in settings/catalog; the rules the zone gets
    // must need exactly that plan, or the catalog has drifted from components/edge/rules.ts.
    const hosts = { app: ["app.example.com"], api: ["api.example.com"] };
    expect(cheapestPlanFor(rateLimits(edge(), hosts))).toBe(rateLimitPlan());
    expect(rateLimitPlan()).toBe("pro");
    expect(planProblems(edge())).toEqual([]);
    const free = planProblems({ ...edge(), cloudflarePlan: "free" }).map(
      (p) => `${p.path.join(".")}: ${p.message}`,
    );
    expect(free).toEqual([
      expect.stringMatching(/^edge\.cloudflarePlan: must be "pro" or higher: the Cloudflare Managed Ruleset/),
      expect.stringMatching(/^edge\.rateLimits: need Cloudflare "pro" or higher/),
    ]);
    expect(planProblems({ ...edge(), maxBodySizeMb: 150 })[0].message).toMatch(/must be <= 100/);
    expect(planProblems({ ...edge(), cloudflarePlan: "business", maxBodySizeMb: 150 })).toEqual([]);
    // More rules or longer windows need a bigger plan.
    const rule = { periodSeconds: 10, mitigationTimeoutSeconds: 10, byHost: false };
    expect(cheapestPlanFor([rule])).toBe("free");
    expect(cheapestPlanFor([rule, rule, rule])).toBe("business");
    expect(cheapestPlanFor([{ ...rule, periodSeconds: 120 }])).toBe("business");
    expect(PLAN_LIMITS.free.managedWaf).toBe(false);
  });
});

describe("the zone's rulesets", () => {
  const rulesets = () => Object.fromEntries(zoneRulesets(edge(), hosts).map((r) => [r.phase, r.rules]));

  test("the Cloudflare Managed and OWASP Core rulesets, OWASP at paranoia level 1, blocking at score 40", () => {
    const waf = rulesets().http_request_firewall_managed as any[];
    expect(waf.map((r) => [r.action, r.actionParameters.id, r.expression])).toEqual([
      ["execute", MANAGED_RULESETS.cloudflareManaged, "true"],
      ["execute", MANAGED_RULESETS.owaspCore, "true"],
    ]);
    expect(MANAGED_RULESETS.cloudflareManaged).toBe("efb7b8c949ac4650a09736fc376e9aee");
    expect(waf[1].actionParameters.overrides.categories.map((c: any) => [c.category, c.enabled])).toEqual([
      ["paranoia-level-2", false],
      ["paranoia-level-3", false],
      ["paranoia-level-4", false],
    ]);
    expect(waf[1].actionParameters.overrides.rules).toEqual([
      { id: "6179ae15870a4bb7b2d480d4843b323c", action: "block", scoreThreshold: 40 },
    ]);
  });

  test("cache: nothing by default, Next.js's hashed assets on the app's hosts a year at the edge", () => {
    const rules = rulesets().http_request_cache_settings as any[];
    // Every matching rule of the phase applies in order, a later one overriding an earlier one's
    // settings (Cloudflare docs, Cache Rules: "order and priority").
    const cached = (host: string, path: string) =>
      rules.reduce<boolean | undefined>(
        (decision, rule) =>
          matches(rule.expression, { host, path }) ? rule.actionParameters.cache : decision,
        undefined,
      );
    expect(cached("api.example.com", "/_next/static/x.js")).toBe(false);
    expect(cached("API.example.com", "/v1/patients")).toBe(false);
    expect(cached("app.example.com", "/")).toBe(false);
    expect(cached("app.example.com", "/patients")).toBe(false);
    expect(cached("other.example.com", "/_next/static/x.js")).toBe(false);
    expect(cached("app-staging.example.com", "/_next/static/chunks/a.js")).toBe(true);
    // A Host the app's name does not match as written (a port, a trailing dot) is not cached: fail closed.
    expect(cached("app.example.com:443", "/_next/static/chunks/a.js")).toBe(false);
    expect(cached("app.example.com.", "/_next/static/chunks/a.js")).toBe(false);
    const assets = rules.find((r) => r.actionParameters.cache === true);
    expect(assets.actionParameters.edgeTtl).toMatchObject({ mode: "override_origin", default: 31536000 });
  });

  test("cache: a Next.js asset answered 4xx or 5xx (a rolling deploy's 404) is never stored, a 200 for a year", () => {
    const [, assets] = rulesets().http_request_cache_settings as any[];
    // The edge TTL Cloudflare applies to a status: the first status-code TTL that covers it, else the default.
    const edgeTtl = (status: number): number => {
      const { default: fallback, statusCodeTtls = [] } = assets.actionParameters.edgeTtl;
      const hit = statusCodeTtls.find((t: any) =>
        t.statusCode !== undefined
          ? t.statusCode === status
          : status >= (t.statusCodeRange.from ?? 100) && status <= (t.statusCodeRange.to ?? 999),
      );
      return hit ? hit.value : fallback;
    };
    expect([200, 206].map(edgeTtl)).toEqual([STATIC_EDGE_TTL_SECONDS, STATIC_EDGE_TTL_SECONDS]);
    // -1 is Cache-Control: no-store (the provider's statusCodeTtls.value docs).
    expect([400, 403, 404, 410, 429, 500, 502, 503, 504, 599].map(edgeTtl)).toEqual(Array(10).fill(-1));
  });

  test("the entry-point rulesets keep these names: a new name would replace a ruleset and leave its phase empty", () => {
    expect(zoneRulesets(edge(), hosts).map((r) => [r.phase, r.name])).toEqual([
      ["http_request_firewall_custom", "healthflow internal paths"],
      ["http_request_firewall_managed", "healthflow managed WAF"],
      ["http_ratelimit", "healthflow rate limits"],
      ["http_request_cache_settings", "healthflow cache rules"],
      ["http_response_headers_transform", "healthflow security headers"],
    ]);
  });

  test("security headers: the guide's nginx headers (HSTS is the zone setting) plus Permissions-Policy", () => {
    const [rule] = rulesets().http_response_headers_transform as any[];
    expect(rule.action).toBe("rewrite");
    const set = Object.fromEntries(
      Object.entries(rule.actionParameters.headers).map(([k, v]: any) => [k, v.value]),
    );
    expect(set).toMatchObject({
      "X-Frame-Options": "SAMEORIGIN",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "strict-origin-when-cross-origin",
      "Permissions-Policy": expect.stringContaining("camera=()"),
    });
    expect(Object.keys(set)).toEqual(securityHeaders().map(([name]) => name));
    // HSTS has one value everywhere: the zone setting, the guide's nginx, the controller and the Ingresses.
    const nginxHsts = SECURITY_HEADERS.find(([n]) => n === "Strict-Transport-Security")?.[1];
    expect(nginxHsts).toBe(`max-age=${HSTS.maxAgeSeconds}; includeSubDomains`);
  });
});

const CLOUDFLARE_RECORD = "cloudflare:index/dnsRecord:DnsRecord";
const ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting";
const RULESET = "cloudflare:index/ruleset:Ruleset";
const CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate";

describe.each(["staging", "production"])("the Cloudflare edge of %s", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const dns = () => config(stack, "dns");
  const proxied = () => ofType(run.resources, CLOUDFLARE_RECORD).filter((r) => r.inputs.proxied);

  test("proxied CNAMEs for the app and API hosts, pointing at the controller's load balancer", () => {
    const records = proxied();
    expect(records.map((r) => [r.inputs.name, r.inputs.type, r.inputs.proxied, r.inputs.ttl]).sort()).toEqual(
      [
        [dns().appHost, "CNAME", true, 1],
        [dns().apiHost, "CNAME", true, 1],
      ].sort(),
    );
    for (const record of records) {
      // Unknown until the chart's Service has its NLB; read back from that Service.
      expect(record.inputs.content).toBe(UNKNOWN);
      expect(record.propertyDependencies.content).toEqual([
        expect.stringMatching(
          /healthflow:ingress:Ingress\$kubernetes:core\/v1:Service::nginx-ingress-controller$/,
        ),
      ]);
    }
    const known = ofType(knownRun(stack).resources, CLOUDFLARE_RECORD).filter((r) => r.inputs.proxied);
    expect(known.map((r) => r.inputs.content)).toEqual([
      expect.stringMatching(/\.elb\.sa-east-1\.amazonaws\.com$/),
      expect.stringMatching(/\.elb\.sa-east-1\.amazonaws\.com$/),
    ]);
  });

  test("each host's ACME challenge is a DNS-only CNAME into the stack's own challenge zone, in place before its Certificate", () => {
    const challengeZone = dns().cloudflare.acmeChallengeZone;
    const delegations = ofType(run.resources, CLOUDFLARE_RECORD).filter((r) => !r.inputs.proxied);
    expect(
      delegations.map((r) => [r.inputs.name, r.inputs.type, r.inputs.content, r.inputs.proxied]).sort(),
    ).toEqual(
      [
        [`_acme-challenge.${dns().appHost}`, "CNAME", `${dns().appHost}.${challengeZone}`, false],
        [`_acme-challenge.${dns().apiHost}`, "CNAME", `${dns().apiHost}.${challengeZone}`, false],
      ].sort(),
    );
    expect(acmeChallengeCname("app.example.com", "acme.example")).toEqual({
      name: "_acme-challenge.app.example.com",
      target: "app.example.com.acme.example",
    });
    for (const certificate of ofType(run.resources, CERTIFICATE))
      expect(certificate.dependencies).toEqual(expect.arrayContaining(delegations.map((r) => r.urn)));
  });

  test("zone settings: strict TLS from 1.2, TLS 1.3, HTTPS only, HSTS a year with subdomains, HTTP/3; no deprecated brotli", () => {
    const settings = Object.fromEntries(
      ofType(run.resources, ZONE_SETTING).map((s) => [s.inputs.settingId, s.inputs.value]),
    );
    expect(settings).toMatchObject({
      ssl: "strict",
      min_tls_version: "1.2",
      tls_1_3: "on",
      always_use_https: "on",
      automatic_https_rewrites: "on",
      http3: "on",
      security_header: {
        strict_transport_security: {
          enabled: true,
          max_age: 31536000,
          include_subdomains: true,
          preload: false,
        },
      },
    });
    // Cloudflare retired the brotli setting (compression is its default); declaring it would fail.
    expect(Object.keys(settings)).not.toContain("brotli");
  });

  test("first deploy: Full (strict), then the records, only once both hosts' certificates are issued", () => {
    const certificates = ofType(run.resources, CERTIFICATE);
    expect(certificates.map((c) => (c.inputs.spec as any).dnsNames).sort()).toEqual(
      [[dns().appHost], [dns().apiHost]].sort(),
    );
    for (const certificate of certificates)
      // The Kubernetes provider holds the Certificate's create until cert-manager says Ready.
      expect((certificate.inputs.metadata as any).annotations["pulumi.com/waitFor"]).toBe("condition=Ready");
    const ssl = ofType(run.resources, ZONE_SETTING).find((s) => s.inputs.settingId === "ssl")!;
    expect(ssl.dependencies).toEqual(expect.arrayContaining(certificates.map((c) => c.urn)));
    for (const record of proxied())
      expect(record.dependencies).toEqual(
        expect.arrayContaining([ssl.urn, ...certificates.map((c) => c.urn)]),
      );
  });

  test("the zone is the one named in the settings, for every record and setting alike", () => {
    const zoneIds = new Set(
      run.resources
        .filter((r) => r.type.startsWith("cloudflare:index/"))
        .map((r) => r.inputs.zoneId as string),
    );
    expect(zoneIds.size).toBe(1);
    expect([...zoneIds][0]).toMatch(/^[0-9a-f]{32}$/);
  });

  test("owns its zone: the five entry-point rulesets, each deleted before it is replaced", () => {
    expect(dns().cloudflare.ownsZone).toBe(true);
    const rulesets = ofType(run.resources, RULESET);
    expect(rulesets.map((r) => [r.inputs.kind, r.inputs.phase, r.inputs.name]).sort()).toEqual(
      zoneRulesets(edge(), { app: [dns().appHost], api: [dns().apiHost] })
        .map((r) => ["zone", r.phase, r.name])
        .sort(),
    );
    // Cloudflare refuses a second entry point for a phase (error 20217): create-before-delete would fail.
    expect(rulesets.map((r) => r.deleteBeforeReplace)).toEqual(rulesets.map(() => true));
    expect(rulesets).toHaveLength(5);
    const limits = find(run.resources, RULESET, "http-ratelimit").inputs.rules as any[];
    expect(limits.map((r) => [r.ref, r.action, r.ratelimit.period, r.ratelimit.requestsPerPeriod])).toEqual([
      ["auth", "block", 60, 15],
      ["general", "block", 10, 1050],
    ]);
    // The documented order (every provider acceptance test and doc): the API returns this order, and
    // another one fails the create with "inconsistent result".
    for (const rule of limits) expect(rule.ratelimit.characteristics).toEqual(["cf.colo.id", "ip.src"]);
    expect(
      matches(limits[0].expression, { host: dns().apiHost.toUpperCase(), path: "/API/V1/AUTH/login" }),
    ).toBe(true);
  });

  test("every Cloudflare resource uses the explicit provider, which holds no credential", () => {
    const provider = find(run.resources, "pulumi:providers:cloudflare", "cloudflare");
    expect(Object.keys(provider.inputs).filter((k) => /token|key|email/i.test(k))).toEqual([]);
    for (const r of run.resources.filter((r) => r.type.startsWith("cloudflare:index/")))
      expect(r.provider?.startsWith(`${provider.urn}::`)).toBe(true);
  });
});

describe("docs/edge.md's table of where each rule of the guide's nginx.conf is enforced", () => {
  const readmeRows = () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "edge.md"), "utf8");
    const start = readme.indexOf("<!-- enforcement-table:start -->");
    const end = readme.indexOf("<!-- enforcement-table:end -->");
    expect(start).toBeGreaterThan(0);
    return readme
      .slice(start, end)
      .split("\n")
      .filter((line) => line.startsWith("|"))
      .map((line) =>
        line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((cell) => cell.trim().replace(/\\\|/g, "|")),
      );
  };

  test("matches the table built from the settings and the builders (paste the output below if not)", () => {
    const expected = renderEnforcementTable(enforcementRows(edge()));
    const rows = expected.split("\n").map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, "|")),
    );
    const actual = readmeRows().filter((_, i) => i !== 1);
    const wanted = rows.filter((_, i) => i !== 1);
    if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
      throw new Error(`docs/edge.md's enforcement table is out of date; replace it with:\n\n${expected}\n`);
    }
  });

  test("every rule is enforced somewhere, and the layers agree with what the workloads declare", () => {
    const rows = enforcementRows(edge());
    for (const row of rows) {
      expect([row.guide, [row.cloudflare, row.controller, row.ingress].some((c) => c !== "—")]).toEqual([
        row.guide,
        true,
      ]);
    }
    const socket = ingresses({ edge: edge(), hosts: { app: "a", api: "b" }, ports: { web: 1, api: 2 } }).find(
      (i) => i.name === "healthflow-api-socketio",
    );
    expect((socket?.spec.rules as any)[0].http.paths[0].path).toBe(WEBSOCKET_PATH);
    // Long-polling passes the edge's limits, so the controller limits the path itself.
    expect(socket?.annotations).toMatchObject({
      "nginx.org/limit-req-rate": `${edge().rateLimits.general.requestsPerSecond}r/s`,
      "nginx.org/limit-req-burst": String(edge().rateLimits.general.burst),
      "nginx.org/limit-req-scale": "true",
    });
  });
});

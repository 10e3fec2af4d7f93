import * as cloudflare from "@pulumi/cloudflare";
import { MANAGED_RULESETS, managedWafRules } from "../../../components/edge/rules";
import { zoneManagedWaf } from "../../../policies/stack/cloudflare/zone-managed-waf";
import { zoneSecuritySettingsDeclared } from "../../../policies/stack/cloudflare/zone-security-settings-declared";
import {
  compliantZone,
  expectLevelFromConfig,
  managedWaf,
  onZone,
  resource,
  runRule,
  UNKNOWN,
  zone,
  zoneSetting,
} from "../fixtures";

const zoneId = "023e105f4ecef8ad9ca31a8372d0c353";
const MISSING = (domain: string, id: string) =>
  `Add a cloudflare.Ruleset in phase http_request_firewall_managed for Cloudflare zone '${domain}' that executes ` +
  `managed ruleset ${id} on every request (expression "true"), with no override that disables it or replaces ` +
  `its action by one that does not stop the request.`;
const record = (zoneRef: Parameters<typeof onZone>[2]) =>
  onZone(cloudflare.DnsRecord, "app", zoneRef, {
    name: "app",
    type: "A",
    content: "203.0.113.10",
    ttl: 1,
    proxied: true,
  });

describe("cloudflare-zone-security-settings-declared", () => {
  it("accepts a created zone and a referenced zone that declare the three settings", async () => {
    const resources = [...compliantZone(), ...compliantZone(zoneId, "referenced-"), record(zoneId)];
    expect((await runRule(zoneSecuritySettingsDeclared, resources)).violations).toEqual([]);
  });

  it("reports a zone the stack creates that keeps Cloudflare's defaults, on the zone", async () => {
    const healthflow = zone();
    const { messages, violations } = await runRule(zoneSecuritySettingsDeclared, [
      healthflow,
      zoneSetting("ssl", healthflow, "ssl", "strict"),
    ]);
    expect(messages).toEqual([
      "Declare cloudflare.ZoneSetting resources 'min_tls_version', 'always_use_https' for Cloudflare zone 'healthflow.com.br'.",
    ]);
    expect(violations[0].urn).toBe(healthflow.urn);
  });

  it("reports a zone known only from its records", async () => {
    const { messages } = await runRule(zoneSecuritySettingsDeclared, [record(zoneId)]);
    expect(messages).toEqual([
      `Declare cloudflare.ZoneSetting resources 'ssl', 'min_tls_version', 'always_use_https' for Cloudflare zone ${zoneId}.`,
    ]);
  });

  it("counts a setting whose zone id is unknown for the one zone it depends on", async () => {
    const healthflow = zone();
    const settings = [
      ["ssl", "strict"],
      ["min_tls_version", "1.2"],
      ["always_use_https", "on"],
    ].map(([settingId, value]) =>
      resource(
        cloudflare.ZoneSetting,
        settingId,
        { zoneId: UNKNOWN, settingId, value },
        { dependencies: [healthflow.urn] },
      ),
    );
    expect((await runRule(zoneSecuritySettingsDeclared, [healthflow, ...settings])).violations).toEqual([]);
  });

  it("says it cannot decide while a setting's id is unknown: it may be the one the zone lacks", async () => {
    const healthflow = zone();
    const run = await runRule(zoneSecuritySettingsDeclared, [
      healthflow,
      zoneSetting("ssl", healthflow, "ssl", "strict"),
      zoneSetting("tls", healthflow, UNKNOWN as unknown as string, "1.2"),
    ]);
    expect(run.violations).toEqual([]);
    expect(run.notEvaluated).toEqual([
      expect.objectContaining({ reason: expect.stringContaining(".settingId") }),
    ]);
  });

  it("says it cannot decide while a setting's zone is unknown and unlinked", async () => {
    const run = await runRule(zoneSecuritySettingsDeclared, [
      zone(),
      resource(cloudflare.ZoneSetting, "ssl", { zoneId: UNKNOWN, settingId: "ssl", value: "strict" }),
    ]);
    expect(run.violations).toEqual([]);
    expect(run.notEvaluated).toEqual([
      expect.objectContaining({ reason: expect.stringContaining(".zoneId") }),
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(zoneSecuritySettingsDeclared, [zone()]);
  });
});

describe("cloudflare-zone-managed-waf", () => {
  it("accepts a zone whose managed-phase ruleset executes the Cloudflare Managed Ruleset", async () => {
    expect((await runRule(zoneManagedWaf, compliantZone())).violations).toEqual([]);
  });

  it("accepts an account-level ruleset that deploys it to every zone", async () => {
    const accountWide = resource(cloudflare.Ruleset, "account-waf", {
      accountId: "account-id",
      kind: "root",
      name: "account WAF",
      phase: "http_request_firewall_managed",
      rules: ["efb7b8c949ac4650a09736fc376e9aee", "4814384a9e5d4991b9815dcfc25d2f1f"].map((id) => ({
        action: "execute",
        expression: "true",
        actionParameters: { id },
      })),
    });
    expect((await runRule(zoneManagedWaf, [zone(), accountWide])).violations).toEqual([]);
  });

  it("reports a zone without it, and a ruleset whose execute rule is disabled does not count", async () => {
    const healthflow = zone();
    const disabled = onZone(cloudflare.Ruleset, "waf", healthflow, {
      kind: "zone",
      name: "managed WAF",
      phase: "http_request_firewall_managed",
      rules: [
        {
          action: "execute",
          enabled: false,
          expression: "true",
          actionParameters: { id: "efb7b8c949ac4650a09736fc376e9aee" },
        },
      ],
    });
    const { messages, violations } = await runRule(zoneManagedWaf, [healthflow, disabled]);
    expect(messages).toEqual([
      MISSING("healthflow.com.br", "efb7b8c949ac4650a09736fc376e9aee, 4814384a9e5d4991b9815dcfc25d2f1f"),
    ]);
    expect(violations[0].urn).toBe(healthflow.urn);
  });

  // A WAF that is declared but neutralised: present in the plan, protecting nothing. `rule` goes
  // into the execute rule of the ruleset `neutralisedId` (the other is executed plainly).
  const neutralised = (
    name: string,
    rule: Record<string, unknown>,
    neutralisedId = "efb7b8c949ac4650a09736fc376e9aee",
  ) => {
    const healthflow = zone();
    const waf = onZone(cloudflare.Ruleset, name, healthflow, {
      kind: "zone",
      name: "managed WAF",
      phase: "http_request_firewall_managed",
      rules: ["efb7b8c949ac4650a09736fc376e9aee", "4814384a9e5d4991b9815dcfc25d2f1f"].map((id) =>
        id === neutralisedId
          ? {
              action: "execute",
              expression: "true",
              ...rule,
              actionParameters: { id, ...(rule.actionParameters as object) },
            }
          : { action: "execute", expression: "true", actionParameters: { id } },
      ),
    });
    return [healthflow, waf];
  };

  it.each([
    [
      "an override that turns every rule off",
      { actionParameters: { overrides: { enabled: false } } },
      "has overrides.enabled false, which turns all its rules off",
    ],
    [
      "an override that only logs",
      { actionParameters: { overrides: { action: "log" } } },
      'has overrides.action "log", which lets every request it catches through',
    ],
    ["no expression at all", { expression: undefined }, 'runs only on requests matching ""'],
    [
      "an expression that spares most requests",
      { expression: 'http.host eq "www.healthflow.com.br"' },
      'runs only on requests matching "http.host eq \\"www.healthflow.com.br\\""',
    ],
  ])("reports a ruleset neutralised by %s, saying how", async (_title, rule, how) => {
    const { messages } = await runRule(zoneManagedWaf, neutralised("waf", rule));
    expect(messages).toEqual([
      `${MISSING("healthflow.com.br", "efb7b8c949ac4650a09736fc376e9aee")} Now: cloudflare.Ruleset 'waf' ${how} (managed ruleset efb7b8c949ac4650a09736fc376e9aee).`,
    ]);
  });

  it("accepts overrides that still stop the request, and tuning of categories and single rules", async () => {
    for (const overrides of [
      { action: "managed_challenge" },
      { action: "block", enabled: true },
      { categories: [{ category: "wordpress", enabled: false }], rules: [{ id: "5de7edfa", action: "log" }] },
    ]) {
      const resources = neutralised("waf", { actionParameters: { overrides } });
      expect([overrides, (await runRule(zoneManagedWaf, resources)).violations]).toEqual([overrides, []]);
    }
  });

  it("the program's own WAF ruleset passes: OWASP's paranoia categories off are tuning, not neutralisation", async () => {
    const healthflow = zone();
    const waf = onZone(cloudflare.Ruleset, "waf", healthflow, {
      kind: "zone",
      name: "healthflow managed WAF",
      phase: "http_request_firewall_managed",
      rules: managedWafRules(),
    });
    const required = { requiredManagedRulesetIds: Object.values(MANAGED_RULESETS) };
    expect((await runRule(zoneManagedWaf, [healthflow, waf], required)).violations).toEqual([]);
  });

  it.each([
    [
      "whose rules are unknown",
      { kind: "zone", phase: "http_request_firewall_managed", rules: UNKNOWN },
      ".rules",
    ],
    [
      "whose zone is unknown and unlinked",
      {
        kind: "zone",
        zoneId: UNKNOWN,
        phase: "http_request_firewall_managed",
        rules: [
          {
            action: "execute",
            expression: "true",
            actionParameters: { id: "efb7b8c949ac4650a09736fc376e9aee" },
          },
        ],
      },
      ".zoneId",
    ],
  ])("says it cannot decide while a ruleset %s: it may be the zone's WAF", async (_title, props, path) => {
    const run = await runRule(zoneManagedWaf, [
      zone(),
      resource(cloudflare.Ruleset, "waf", { name: "managed WAF", ...props }),
    ]);
    expect(run.violations).toEqual([]);
    expect(run.notEvaluated).toEqual([expect.objectContaining({ reason: expect.stringContaining(path) })]);
  });

  it("applies only when the stack has Cloudflare zones or records", async () => {
    expect((await runRule(zoneManagedWaf, [])).violations).toEqual([]);
    expect((await runRule(zoneManagedWaf, [record(zoneId)])).violations).toHaveLength(1);
  });

  it("requires both WAF rulesets by default, OWASP's too, and every one the config lists", async () => {
    const owasp = "4814384a9e5d4991b9815dcfc25d2f1f";
    const healthflow = zone();
    const onlyManaged = [healthflow, managedWaf("waf", healthflow, ["efb7b8c949ac4650a09736fc376e9aee"])];
    expect((await runRule(zoneManagedWaf, onlyManaged)).messages).toEqual([
      MISSING("healthflow.com.br", owasp),
    ]);
    expect(
      (
        await runRule(zoneManagedWaf, onlyManaged, {
          requiredManagedRulesetIds: ["efb7b8c949ac4650a09736fc376e9aee"],
        })
      ).violations,
    ).toEqual([]);
    const extra = "0000000000000000000000000000000a";
    expect(
      (await runRule(zoneManagedWaf, compliantZone(), { requiredManagedRulesetIds: [owasp, extra] }))
        .messages,
    ).toEqual([MISSING("healthflow.com.br", extra)]);
  });

  // Skips that switch the WAF off: each is a way round it the execute rules alone do not show.
  const withSkip = (phase: string, skip: Record<string, unknown>, before = true) => {
    const resources = compliantZone();
    const healthflow = resources[0];
    if (phase === "http_request_firewall_managed") {
      const waf = resources.find((r) => r.name === "waf")!;
      const rules = waf.props["rules"] as object[];
      waf.props["rules"] = before
        ? [{ action: "skip", ...skip }, ...rules]
        : [...rules, { action: "skip", ...skip }];
      return resources;
    }
    return [
      ...resources,
      onZone(cloudflare.Ruleset, "custom", healthflow, {
        kind: "zone",
        name: "custom rules",
        phase,
        rules: [{ action: "skip", ...skip }],
      }),
    ];
  };
  const SWITCHED_OFF =
    "The managed WAF of Cloudflare zone 'healthflow.com.br' is switched off for whole hosts: ";

  it.each([
    [
      "a custom-phase skip of the managed phase for every request",
      "http_request_firewall_custom",
      { expression: "true", actionParameters: { phases: ["http_request_firewall_managed"] } },
      `cloudflare.Ruleset 'custom' rule 1 skips the http_request_firewall_managed phase on requests matching "true"`,
    ],
    [
      "a custom-phase skip of the managed phase for a whole host",
      "http_request_firewall_custom",
      {
        expression: 'http.host eq "api.healthflow.com.br"',
        actionParameters: { phases: ["http_request_firewall_managed", "http_ratelimit"] },
      },
      `cloudflare.Ruleset 'custom' rule 1 skips the http_request_firewall_managed phase on requests matching ${JSON.stringify('http.host eq "api.healthflow.com.br"')}`,
    ],
    [
      "a managed-phase skip of the rest of the ruleset before its execute rules",
      "http_request_firewall_managed",
      { expression: "true", actionParameters: { ruleset: "current" } },
      `cloudflare.Ruleset 'waf' rule 1 skips the managed rulesets after it on requests matching "true"`,
    ],
    [
      "a managed-phase skip of the OWASP ruleset, one of two alternatives as wide as a host",
      "http_request_firewall_managed",
      {
        expression: 'http.request.uri.path eq "/upload" or http.host eq "app.healthflow.com.br"',
        actionParameters: { rulesets: ["4814384a9e5d4991b9815dcfc25d2f1f"] },
      },
      `cloudflare.Ruleset 'waf' rule 1 skips managed ruleset 4814384a9e5d4991b9815dcfc25d2f1f on requests matching ${JSON.stringify('http.request.uri.path eq "/upload" or http.host eq "app.healthflow.com.br"')}`,
    ],
  ])("reports %s", async (_title, phase, skip, how) => {
    const { messages } = await runRule(zoneManagedWaf, withSkip(phase, skip));
    expect(messages).toEqual([
      `${SWITCHED_OFF}${how}. Narrow each skip to the path or source it is for (a condition on more than the host), or remove it.`,
    ]);
  });

  it("accepts skips narrower than a host, disabled ones, and a managed-phase skip after the rules it would skip", async () => {
    for (const [phase, skip, before] of [
      [
        "http_request_firewall_custom",
        {
          expression:
            'http.host eq "api.healthflow.com.br" and starts_with(http.request.uri.path, "/webhooks/stripe")',
          actionParameters: { phases: ["http_request_firewall_managed"] },
        },
        true,
      ],
      [
        "http_request_firewall_custom",
        {
          expression: "ip.src in {203.0.113.7}",
          actionParameters: { phases: ["http_request_firewall_managed"] },
        },
        true,
      ],
      [
        "http_request_firewall_custom",
        {
          expression: "true",
          enabled: false,
          actionParameters: { phases: ["http_request_firewall_managed"] },
        },
        true,
      ],
      [
        "http_request_firewall_managed",
        { expression: "true", actionParameters: { ruleset: "current" } },
        false,
      ],
      [
        "http_request_firewall_custom",
        { expression: "true", actionParameters: { phases: ["http_ratelimit"] } },
        true,
      ],
    ] as const) {
      expect([skip, (await runRule(zoneManagedWaf, withSkip(phase, skip, before))).violations]).toEqual([
        skip,
        [],
      ]);
    }
  });

  it.each([
    [
      "every paranoia level disabled",
      { categories: [1, 2, 3, 4].map((level) => ({ category: `paranoia-level-${level}`, enabled: false })) },
      "has overrides disabling all four paranoia-level categories, which turns every OWASP rule off",
    ],
    [
      "the anomaly-score rule set to log",
      { rules: [{ id: "6179ae15870a4bb7b2d480d4843b323c", action: "log", scoreThreshold: 40 }] },
      'overrides rule 6179ae15870a4bb7b2d480d4843b323c (949110, the anomaly score that blocks) to "log", so the OWASP rules only score',
    ],
    [
      "the anomaly-score rule disabled",
      { rules: [{ id: "6179ae15870a4bb7b2d480d4843b323c", enabled: false }] },
      "overrides rule 6179ae15870a4bb7b2d480d4843b323c (949110, the anomaly score that blocks) to disabled, so the OWASP rules only score",
    ],
  ])("reports an OWASP ruleset neutralised by %s", async (_title, overrides, how) => {
    const { messages } = await runRule(
      zoneManagedWaf,
      neutralised("waf", { actionParameters: { overrides } }, "4814384a9e5d4991b9815dcfc25d2f1f"),
    );
    expect(messages).toEqual([
      `${MISSING("healthflow.com.br", "4814384a9e5d4991b9815dcfc25d2f1f")} Now: cloudflare.Ruleset 'waf' ${how} (managed ruleset 4814384a9e5d4991b9815dcfc25d2f1f).`,
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(zoneManagedWaf, [zone()]);
  });
});

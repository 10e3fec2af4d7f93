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
      rules: [
        {
          action: "execute",
          expression: "true",
          actionParameters: { id: "efb7b8c949ac4650a09736fc376e9aee" },
        },
      ],
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
    expect(messages).toEqual([MISSING("healthflow.com.br", "efb7b8c949ac4650a09736fc376e9aee")]);
    expect(violations[0].urn).toBe(healthflow.urn);
  });

  // A WAF that is declared but neutralised: present in the plan, protecting nothing.
  const neutralised = (name: string, rule: Record<string, unknown>) => {
    const healthflow = zone();
    const waf = onZone(cloudflare.Ruleset, name, healthflow, {
      kind: "zone",
      name: "managed WAF",
      phase: "http_request_firewall_managed",
      rules: [
        {
          action: "execute",
          expression: "true",
          ...rule,
          actionParameters: { id: "efb7b8c949ac4650a09736fc376e9aee", ...(rule.actionParameters as object) },
        },
      ],
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

  it("requires every managed ruleset the config lists", async () => {
    const owasp = "4814384a9e5d4991b9815dcfc25d2f1f";
    const resources = compliantZone();
    const run = await runRule(zoneManagedWaf, resources, {
      requiredManagedRulesetIds: ["efb7b8c949ac4650a09736fc376e9aee", owasp],
    });
    expect(run.messages).toEqual([MISSING("healthflow.com.br", owasp)]);
    const both = [...resources, managedWaf("owasp", resources[0], owasp)];
    expect((await runRule(zoneManagedWaf, both, { requiredManagedRulesetIds: [owasp] })).violations).toEqual(
      [],
    );
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(zoneManagedWaf, [zone()]);
  });
});

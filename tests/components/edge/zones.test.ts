import * as fs from "fs";
import * as path from "path";
import { MANAGED_RULESETS } from "../../../components/edge/rules";
import { zoneManagedWaf } from "../../../policies/stack/cloudflare/zone-managed-waf";
import { zoneOwnershipProblems } from "../../../settings/edge";
import { settingsOfStackConfig } from "../../../tools/plan/settings";
import { PROJECT_ROOT, readStackConfig, stackNames } from "../../../tools/engine/stackConfig";
import { ofType, runProgram, type ProgramRun } from "../../harness";
import { plannedRun } from "../../harness/plans";
import { matches } from "./rulesLanguage";

// Who may declare what in a Cloudflare zone: exactly one stack per zone owns everything zone-wide
// (settings and rulesets) and covers the hosts of the stacks sharing it; a stack that does not own
// its zone adds records only; no stack's token reaches another stack's zone or challenge zone.

const config = (stack: string, key: string) => JSON.parse(readStackConfig(stack).config[`healthflow:${key}`]);
const CLOUDFLARE_RECORD = "cloudflare:index/dnsRecord:DnsRecord";
const ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting";
const RULESET = "cloudflare:index/ruleset:Ruleset";

describe("a stack that shares a zone it does not own", () => {
  // Staging in production's zone, production owning it: what the settings allow, for a future stack.
  const production = () => config("production", "dns");
  const member = () => ({
    ...config("staging", "dns"),
    zone: production().zone,
    appHost: `app-staging.${production().zone}`,
    apiHost: `api-staging.${production().zone}`,
    cloudflare: { ownsZone: false, acmeChallengeZone: "healtflow-staging-acme.com.br" },
  });
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("staging", { overrides: { "healthflow:dns": member() } });
  }, 60000);

  test("declares no zone setting and no ruleset: only its records and its ACME delegations", () => {
    expect(ofType(run.resources, ZONE_SETTING)).toEqual([]);
    expect(ofType(run.resources, RULESET)).toEqual([]);
    expect(
      ofType(run.resources, CLOUDFLARE_RECORD)
        .map((r) => r.inputs.name)
        .sort(),
    ).toEqual(
      [
        member().appHost,
        member().apiHost,
        `_acme-challenge.${member().appHost}`,
        `_acme-challenge.${member().apiHost}`,
      ].sort(),
    );
  });

  test("the owner's rulesets cover the hosts it lists in sharedWith, in any letter case", async () => {
    const sharedWith = [{ appHost: member().appHost, apiHost: member().apiHost }];
    const owner = await runProgram("production", {
      overrides: {
        "healthflow:dns": { ...production(), cloudflare: { ...production().cloudflare, sharedWith } },
      },
    });
    const rules = (phase: string) => ofType(owner.resources, RULESET).find((r) => r.inputs.phase === phase)!;
    const [auth, general] = rules("http_ratelimit").inputs.rules as any[];
    expect(matches(general.expression, { host: member().appHost, path: "/" })).toBe(true);
    expect(matches(auth.expression, { host: member().apiHost.toUpperCase(), path: "/API/V1/AUTH" })).toBe(
      true,
    );
    const [apiBypass] = rules("http_request_cache_settings").inputs.rules as any[];
    expect(matches(apiBypass.expression, { host: member().apiHost, path: "/v1/patients" })).toBe(true);
  }, 60000);
});

describe("the stacks of each zone", () => {
  const cloudStacks = () =>
    stackNames().filter((s) => readStackConfig(s).config["healthflow:environment"] !== "dev");
  const dnsOf = (stack: string) => settingsOfStackConfig(readStackConfig(stack)).dns;

  test("each zone has exactly one owner, covering every other stack's hosts; challenge zones are each stack's own", () => {
    expect(cloudStacks()).toEqual(["production", "staging"]);
    expect(zoneOwnershipProblems(cloudStacks().map((stack) => ({ stack, dns: dnsOf(stack) })))).toEqual([]);
    // Staging has a zone of its own: no token staging holds can edit production's zone.
    expect(dnsOf("staging").zone).not.toBe(dnsOf("production").zone);
  });

  test("a second owner, an owner missing a member's hosts, or a shared challenge zone is refused", () => {
    const production = dnsOf("production");
    const staging = { ...dnsOf("staging"), zone: production.zone, appHost: "app-s.x", apiHost: "api-s.x" };
    const both = (stagingCloudflare: object, productionCloudflare: object = production.cloudflare!) =>
      zoneOwnershipProblems([
        { stack: "production", dns: { ...production, cloudflare: productionCloudflare as any } },
        { stack: "staging", dns: { ...staging, cloudflare: stagingCloudflare as any } },
      ]);
    const own = dnsOf("staging").cloudflare!;
    expect(both({ ...own, ownsZone: true })).toEqual([
      `zone ${production.zone} must have exactly one stack with dns.cloudflare.ownsZone: true; it has 2 (production, staging)`,
    ]);
    expect(both({ ...own, ownsZone: false })).toEqual([
      `stack production owns zone ${production.zone} but its dns.cloudflare.sharedWith lacks app-s.x api-s.x`,
    ]);
    expect(both({ ...own, ownsZone: false }, { ...production.cloudflare, ownsZone: false })).toEqual([
      `zone ${production.zone} must have exactly one stack with dns.cloudflare.ownsZone: true; it has 0`,
    ]);
    // A stack that is gone, still listed: the owner's rules would cover hosts nobody serves.
    expect(
      both(
        { ...own, ownsZone: false },
        {
          ...production.cloudflare,
          sharedWith: [
            { appHost: "app-s.x", apiHost: "api-s.x" },
            { appHost: "app-old.x", apiHost: "api-old.x" },
          ],
        },
      ),
    ).toEqual([
      `stack production lists app-old.x api-old.x in dns.cloudflare.sharedWith, which no stack of ${production.zone} serves`,
    ]);
    expect(
      both(
        { ...own, ownsZone: false },
        {
          ...production.cloudflare,
          sharedWith: [{ appHost: "app-s.x", apiHost: "api-s.x" }],
        },
      ),
    ).toEqual([]);
    expect(
      both(
        { ...own, ownsZone: false, acmeChallengeZone: production.cloudflare!.acmeChallengeZone },
        { ...production.cloudflare, sharedWith: [{ appHost: "app-s.x", apiHost: "api-s.x" }] },
      ),
    ).toEqual([
      `stacks production and staging share the ACME challenge zone ${production.cloudflare!.acmeChallengeZone}`,
    ]);
    // Staging's own zone (or a name in it) as production's challenge zone: staging's deploy token
    // could then answer production's challenges and obtain its certificates.
    const stagingZone = dnsOf("staging");
    expect(
      zoneOwnershipProblems([
        {
          stack: "production",
          dns: {
            ...production,
            cloudflare: { ...production.cloudflare!, acmeChallengeZone: `acme.${stagingZone.zone}` },
          },
        },
        { stack: "staging", dns: stagingZone },
      ]),
    ).toEqual([
      `stack production's ACME challenge zone acme.${stagingZone.zone} is in stack staging's zone ${stagingZone.zone}`,
    ]);
  });

  test("the policy configs follow ownership: the owner's zone must run the managed WAF and declare its settings", () => {
    const packDefault = (zoneManagedWaf.configSchema?.properties as any).requiredManagedRulesetIds.default;
    // Both WAF rulesets, each by its fixed id (Cloudflare docs, "WAF Managed Rules").
    expect(packDefault).toEqual(["efb7b8c949ac4650a09736fc376e9aee", "4814384a9e5d4991b9815dcfc25d2f1f"]);
    for (const stack of cloudStacks()) {
      const policy = JSON.parse(
        fs.readFileSync(path.join(PROJECT_ROOT, "policies", "config", `${stack}.json`), "utf8"),
      );
      const required: string[] =
        policy["cloudflare-zone-managed-waf"]?.requiredManagedRulesetIds ?? packDefault;
      const settingsRule = policy["cloudflare-zone-security-settings-declared"];
      if (dnsOf(stack).cloudflare!.ownsZone) {
        expect(Object.values(MANAGED_RULESETS)).toEqual(expect.arrayContaining(required));
        expect(required).toEqual(expect.arrayContaining(packDefault));
        expect(required.length).toBeGreaterThan(0);
        expect(settingsRule).not.toBe("disabled");
      } else {
        // A member's zone runs its owner's WAF and settings; its own plan declares neither.
        expect([required, settingsRule]).toEqual([[], "disabled"]);
      }
    }
  });

  test("dev registers no Cloudflare or Helm resource", () => {
    const types = plannedRun("dev").resources.map((r) => r.type);
    expect(
      types.filter((t) =>
        /^cloudflare:|^pulumi:providers:cloudflare$|helm\.sh|healthflow:(edge|ingress):/.test(t),
      ),
    ).toEqual([]);
  });
});

import * as cloudflare from "@pulumi/cloudflare";
import * as fs from "fs";
import * as path from "path";
import { edgePreflight } from "../../../components/edge/preflight";
import { RULESET_NAMES } from "../../../components/edge/rules";
import { parseSettings } from "../../../settings";
import { providerError, type InvokeAnswer } from "../../../tools/engine/awsAnswers";
import { INVOKE_ANSWERS } from "../../../tools/engine/engine";
import { PROJECT_ROOT, type ConfigOverride } from "../../../tools/engine/stackConfig";
import { rawConfig } from "../../settings/realAccount";
import { mockInvokes, preflightMessage } from "../../harness/invokes";

// The edge's preflight through the SDK's real invoke path, against the harness's Cloudflare answers
// (a fresh Pro zone, tools/engine/engine.ts); a test that needs another account changes one answer.

const setAnswers = mockInvokes("production");

async function check(
  stack: string,
  options: { overrides?: Record<string, ConfigOverride>; invokes?: Record<string, InvokeAnswer> } = {},
) {
  setAnswers({ ...INVOKE_ANSWERS, ...options.invokes });
  const settings = parseSettings(rawConfig(stack, options.overrides ?? {}, false));
  const provider = new cloudflare.Provider(`cf-${Math.random().toString(36).slice(2)}`, { apiToken: "t" });
  return edgePreflight(settings, provider);
}

const problems = (...args: Parameters<typeof check>): Promise<string> =>
  preflightMessage(
    check(...args),
    /^Stack "\w+" has \d+ problems? found by the preflight in Cloudflare; nothing was created or changed:/,
  );

/** The zone's rulesets: the harness's managed ones plus `extra` entry points. */
const withRulesets = (
  ...extra: { id: string; kind: string; phase: string; name: string }[]
): Record<string, InvokeAnswer> => ({
  "cloudflare:index/getRulesets:getRulesets": (inputs) => {
    const base = INVOKE_ANSWERS["cloudflare:index/getRulesets:getRulesets"](inputs) as {
      rulesets: unknown[];
    };
    const rulesets = [...base.rulesets, ...extra];
    return { ...base, rulesets, results: rulesets };
  },
});

describe("the edge's preflight", () => {
  test.each(["staging", "production"])("%s: a fresh zone passes, and its id is the zone's", async (stack) => {
    const id = await check(stack);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  test("an entry point of one of our phases made by another hand is refused before anything is created", async () => {
    // A WAF custom rule once added in the dashboard: Cloudflare names the entry point "default".
    const message = await problems("production", {
      invokes: withRulesets(
        {
          id: "2f2feab2026849078ba485f918791bdc",
          kind: "zone",
          phase: "http_request_firewall_custom",
          name: "default",
        },
        { id: "0f2feab2026849078ba485f918791bd0", kind: "zone", phase: "http_ratelimit", name: "default" },
      ),
    });
    expect(message).toMatch(/has 2 problems/);
    expect(message).toContain(
      `healthflow:dns.cloudflare.ownsZone = true: cannot take the http_request_firewall_custom phase of healtflow.com.br: it already has an entry-point ruleset the program does not own, 2f2feab2026849078ba485f918791bdc ("default"), and Cloudflare allows one per phase (error 20217)`,
    );
    expect(message).toMatch(
      /curl -fsS -X DELETE -H "Authorization: Bearer \$CLOUDFLARE_API_TOKEN" https:\/\/api\.cloudflare\.com\/client\/v4\/zones\/[0-9a-f]{32}\/rulesets\/2f2feab2026849078ba485f918791bdc/,
    );
  });

  test("the program's own entry points (a later up) and rulesets of other phases or kinds pass", async () => {
    await check("production", {
      invokes: withRulesets(
        { id: "a1", kind: "zone", phase: "http_request_firewall_custom", name: "healthflow internal paths" },
        { id: "a2", kind: "zone", phase: "http_request_firewall_managed", name: "healthflow managed WAF" },
        { id: "a3", kind: "zone", phase: "http_request_redirect", name: "default" },
        { id: "a4", kind: "custom", phase: "http_request_firewall_custom", name: "a custom ruleset" },
      ),
    });
  });

  test("a zone the token cannot see, and a plan below the configured one, are refused", async () => {
    const elsewhere = await problems("production", {
      invokes: {
        "cloudflare:index/getZone:getZone": () => {
          throw providerError("cloudflare:index/getZone:getZone", "no zone found");
        },
      },
    });
    expect(elsewhere).toContain(
      `healthflow:dns.zone = "healtflow.com.br": could not be read with the stack's Cloudflare token (no zone found)`,
    );
    const free = await problems("production", {
      invokes: {
        "cloudflare:index/getZone:getZone": (inputs) => ({
          ...(INVOKE_ANSWERS["cloudflare:index/getZone:getZone"](inputs) as object),
          plan: { legacyId: "free", name: "Free Website" },
        }),
      },
    });
    expect(free).toContain(
      `healthflow:edge.cloudflarePlan = "pro": is more than the zone healtflow.com.br has: it is on Cloudflare "free"`,
    );
  });

  test("the runbook deletes exactly the phases the program owns", () => {
    // docs/edge.md's jq filter lists the phases whose entry points are removed before a first up.
    const doc = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "edge.md"), "utf8");
    const filter = /\.phase \| IN\(([^)]*)\)/.exec(doc.replace(/\n\s*/g, " "))![1];
    const phases = [...filter.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
    expect(phases.sort()).toEqual(Object.keys(RULESET_NAMES).sort());
  });
});

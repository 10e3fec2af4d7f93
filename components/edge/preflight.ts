import * as cloudflare from "@pulumi/cloudflare";
import { ConfigError, formatProblems, type Settings } from "../../settings";
import { planCovers, PLAN_ORDER, type CloudflarePlan } from "../../settings/catalog/cloudflarePlans";
import { invokeReason } from "../../settings/preflight";
import type { ConfigProblem } from "../../settings/schema";
import { RULESET_NAMES, type RulesetPhase } from "./rules";

// The edge's preflight: what the Cloudflare account holds, asked before the program registers a
// single resource (as settings/preflight.ts asks AWS), so that a zone the token cannot see, a plan
// too small for the rules, or an entry-point ruleset the program does not own stops the preview or
// the update with one message instead of failing halfway through an `up`.

/**
 * An entry-point ruleset of one of the program's phases that is not the program's: Cloudflare allows
 * one per phase and zone, so creating ours would fail with error 20217 halfway through the first
 * `up`. The program's own carry the names it gives them (RULESET_NAMES, pinned by a test).
 */
function foreignEntryPoint(ruleset: { kind: string; phase: string; name: string }): boolean {
  const ours = RULESET_NAMES[ruleset.phase as RulesetPhase];
  return ruleset.kind === "zone" && ours !== undefined && ruleset.name !== ours;
}

/** The command that removes an entry-point ruleset (docs/edge.md says when, and what to keep first). */
export function deleteRulesetCommand(zoneId: string, rulesetId: string): string {
  return `curl -fsS -X DELETE -H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" https://api.cloudflare.com/client/v4/zones/${zoneId}/rulesets/${rulesetId}`;
}

/**
 * The zone's id, once the account is known to hold what the program needs: the zone `dns.zone`
 * as the stack's token sees it (`cloudflare.getZone`), on a plan that covers `edge.cloudflarePlan`
 * (the rulesets are sized for it), and, for the zone's owner, no entry-point ruleset of the
 * program's phases that another hand created (`cloudflare.getRulesets`: `rulesets[]` with `id`,
 * `kind`, `phase`, `name`). Throws one ConfigError listing every problem.
 */
export async function edgePreflight(settings: Settings, provider: cloudflare.Provider): Promise<string> {
  const opts = { provider };
  const { zone } = settings.dns;
  const problems: ConfigProblem[] = [];
  let found: cloudflare.GetZoneResult;
  try {
    found = await cloudflare.getZone({ filter: { name: zone, match: "all" } }, opts);
  } catch (e) {
    problems.push({
      path: ["dns", "zone"],
      value: zone,
      message: `could not be read with the stack's Cloudflare token (${invokeReason(e)})`,
    });
    throw failure(settings, problems);
  }
  if (found.name !== zone || !found.id) {
    problems.push({
      path: ["dns", "zone"],
      value: zone,
      message: "is not a zone this Cloudflare token can see",
    });
    throw failure(settings, problems);
  }
  const plan = found.plan?.legacyId as CloudflarePlan | undefined;
  if (plan && PLAN_ORDER.includes(plan) && !planCovers(plan, settings.edge.cloudflarePlan)) {
    problems.push({
      path: ["edge", "cloudflarePlan"],
      value: settings.edge.cloudflarePlan,
      message: `is more than the zone ${zone} has: it is on Cloudflare "${plan}", and the rulesets sized for "${settings.edge.cloudflarePlan}" would be refused halfway through an update`,
    });
  }
  if (settings.dns.cloudflare?.ownsZone) {
    try {
      // `rulesets` (`results` is its deprecated twin, filled alike by provider v5).
      const { rulesets } = await cloudflare.getRulesets({ zoneId: found.id }, opts);
      for (const ruleset of (rulesets ?? []).filter(foreignEntryPoint)) {
        problems.push({
          path: ["dns", "cloudflare", "ownsZone"],
          value: true,
          message: `cannot take the ${ruleset.phase} phase of ${zone}: it already has an entry-point ruleset the program does not own, ${ruleset.id} ("${ruleset.name}"), and Cloudflare allows one per phase (error 20217). Keep what you need of it, then delete it right before \`pulumi up\` (docs/edge.md, "First deployment on a zone that already has rulesets"): ${deleteRulesetCommand(found.id, ruleset.id)}`,
        });
      }
    } catch (e) {
      problems.push({
        path: ["dns", "cloudflare", "ownsZone"],
        value: true,
        message: `could not list the rulesets of ${zone} (${invokeReason(e)}): the token needs Zone › Zone WAF › Read (or Edit) there`,
      });
    }
  }
  if (problems.length > 0) throw failure(settings, problems);
  return found.id;
}

/** One ConfigError for what the Cloudflare account's answers showed wrong. */
export function failure(settings: Settings, problems: ConfigProblem[]): ConfigError {
  return new ConfigError(
    formatProblems(settings.stack, problems, {
      noun: "problem",
      outcome: "nothing was created or changed",
      source: "found by the preflight in Cloudflare",
    }),
    problems,
  );
}

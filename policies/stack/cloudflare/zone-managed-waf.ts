/**
 * The Cloudflare Managed Ruleset blocks the known exploit traffic (injection, RCE payloads, CVE probes)
 * before it reaches the ingress. It runs only when a ruleset in the http_request_firewall_managed phase
 * executes it, on the zone or account-wide.
 */
import * as cloudflare from "@pulumi/cloudflare";
import type { PolicyResource } from "@pulumi/policy";
import { UnknownValueError } from "@pulumi/policy";
import { configSchema, readConfig, stringList } from "../../lib/config";
import { stackPolicy } from "../../lib/define";
import { tryKnown } from "../../lib/known";
import { DeferredUnknowns, ofType } from "../graph";
import { zoneOf, zonesOfStack } from "./zone-links";

const managedPhase = "http_request_firewall_managed";

const defaults = {
  // The Cloudflare Managed Ruleset's id is fixed across all accounts.
  requiredManagedRulesetIds: ["efb7b8c949ac4650a09736fc376e9aee"],
};

interface RulesetRule {
  action?: string;
  enabled?: boolean;
  expression?: string;
  actionParameters?: { id?: string; overrides?: { enabled?: boolean; action?: string } };
}

/**
 * Ruleset-level override actions that still stop what the managed rules catch; any other
 * (`log`, `skip`, ...) turns the whole ruleset into a spectator.
 */
const stoppingActions = ["block", "managed_challenge", "challenge", "js_challenge"];

/** One managed ruleset a rule deploys, and why it protects less than every request, if it does. */
interface Execution {
  id: string;
  weakness?: string;
}

/**
 * What a ruleset of the managed phase deploys: every enabled `execute` rule, with the reason it is
 * neutralised, if any. A rule that executes the ruleset only where its expression holds leaves
 * every other request unprotected; a ruleset-level override `enabled: false` turns all its rules
 * off, and an override action that does not stop the request (e.g. `log`) only watches. Category
 * and rule overrides are tuning (paranoia levels, a false positive) and are left alone.
 */
function executions(ruleset: PolicyResource): Execution[] {
  if (ruleset.props["phase"] !== managedPhase) {
    return [];
  }
  return ((ruleset.props["rules"] ?? []) as RulesetRule[])
    .filter((rule) => rule.action === "execute" && rule.enabled !== false)
    .map((rule) => {
      const id = rule.actionParameters?.id ?? "";
      const overrides = rule.actionParameters?.overrides;
      const expression = (rule.expression ?? "").trim();
      if (expression !== "true") {
        return { id, weakness: `runs only on requests matching ${JSON.stringify(expression)}` };
      }
      if (overrides?.enabled === false) {
        return { id, weakness: "has overrides.enabled false, which turns all its rules off" };
      }
      if (overrides?.action !== undefined && !stoppingActions.includes(overrides.action)) {
        return {
          id,
          weakness: `has overrides.action ${JSON.stringify(overrides.action)}, which lets every request it catches through`,
        };
      }
      return { id };
    });
}

export const zoneManagedWaf = stackPolicy({
  name: "cloudflare-zone-managed-waf",
  description:
    "Every Cloudflare zone of the stack runs the Cloudflare Managed Ruleset (WAF) on every request, not neutralised by overrides.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { other: ["Cloudflare WAF Managed Rules (Cloudflare Managed Ruleset)"] },
  tags: ["cloudflare", "security", "waf"],
  remediationSteps:
    `Add a cloudflare.Ruleset { kind: "zone", phase: "${managedPhase}", zoneId } whose rule has action ` +
    `"execute", expression "true" and actionParameters.id "${defaults.requiredManagedRulesetIds[0]}", ` +
    `without overrides.enabled false or an overrides.action that does not block or challenge.`,
  configSchema: configSchema({
    requiredManagedRulesetIds: stringList(
      "Managed ruleset ids every zone must execute.",
      defaults.requiredManagedRulesetIds,
    ),
  }),
  validateStack: (args, reportViolation) => {
    const { requiredManagedRulesetIds } = readConfig(args, defaults);
    const deferred = new DeferredUnknowns();
    const zoneResources = ofType(args.resources, cloudflare.Zone);
    const accountWide = new Set<string>();
    const perZone = new Map<string, Set<string>>();
    /** zone key (or "account") → managed ruleset id → why it is executed but neutralised. */
    const weakened = new Map<string, Map<string, string>>();
    const noteWeakness = (key: string, ruleset: PolicyResource, execution: Execution) => {
      const reasons = weakened.get(key) ?? new Map<string, string>();
      reasons.set(execution.id, `cloudflare.Ruleset '${ruleset.name}' ${execution.weakness}`);
      weakened.set(key, reasons);
    };
    // A ruleset whose zone or rules are unknown might be the one a zone seems to lack: then missing ones are
    // not reported.
    let unlinked: UnknownValueError | undefined;
    for (const ruleset of ofType(args.resources, cloudflare.Ruleset)) {
      const deployment = tryKnown(() => ({
        executed: executions(ruleset),
        kind: ruleset.props["kind"],
      }));
      if (!deployment.known) {
        unlinked ??= deployment.error;
        continue;
      }
      const { executed, kind } = deployment.value;
      if (executed.length === 0) {
        continue;
      }
      let key = "account";
      if (kind !== "root") {
        const zone = zoneOf(ruleset, zoneResources);
        if (zone instanceof UnknownValueError) {
          unlinked ??= zone;
          continue;
        }
        key = zone.key;
      }
      const ids = key === "account" ? accountWide : (perZone.get(key) ?? new Set<string>());
      for (const execution of executed) {
        if (execution.weakness) noteWeakness(key, ruleset, execution);
        else ids.add(execution.id);
      }
      if (key !== "account") perZone.set(key, ids);
    }
    const { zones, undetermined } = zonesOfStack(args.resources);
    for (const zone of zones) {
      const deployed = perZone.get(zone.key) ?? new Set<string>();
      const missing = requiredManagedRulesetIds.filter((id) => !deployed.has(id) && !accountWide.has(id));
      if (missing.length > 0 && unlinked) {
        deferred.remember(unlinked);
        continue;
      }
      const reasons = missing.flatMap((id) => {
        const reason = weakened.get(zone.key)?.get(id) ?? weakened.get("account")?.get(id);
        return reason ? [`${reason} (managed ruleset ${id})`] : [];
      });
      if (missing.length > 0) {
        reportViolation(
          `Add a cloudflare.Ruleset in phase ${managedPhase} for ${zone.label} that executes managed ruleset ` +
            `${missing.join(", ")} on every request (expression "true"), with no override that disables it ` +
            `or replaces its action by one that does not stop the request.` +
            (reasons.length > 0 ? ` Now: ${reasons.join("; ")}.` : ""),
          zone.zone?.urn,
        );
      }
    }
    if (undetermined) {
      deferred.remember(undetermined);
    }
    deferred.rethrow();
  },
});

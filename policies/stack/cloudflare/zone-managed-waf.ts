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
  actionParameters?: { id?: string };
}

/** Managed ruleset ids that a ruleset of the managed phase deploys (rules with action "execute", not disabled). */
function executedRulesets(ruleset: PolicyResource): string[] {
  if (ruleset.props["phase"] !== managedPhase) {
    return [];
  }
  return ((ruleset.props["rules"] ?? []) as RulesetRule[])
    .filter((rule) => rule.action === "execute" && rule.enabled !== false)
    .map((rule) => rule.actionParameters?.id ?? "");
}

export const zoneManagedWaf = stackPolicy({
  name: "cloudflare-zone-managed-waf",
  description: "Every Cloudflare zone of the stack runs the Cloudflare Managed Ruleset (WAF).",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { other: ["Cloudflare WAF Managed Rules (Cloudflare Managed Ruleset)"] },
  tags: ["cloudflare", "security", "waf"],
  remediationSteps:
    `Add a cloudflare.Ruleset { kind: "zone", phase: "${managedPhase}", zoneId } whose rule has action ` +
    `"execute" and actionParameters.id "${defaults.requiredManagedRulesetIds[0]}".`,
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
    // A ruleset whose zone or rules are unknown might be the one a zone seems to lack: then missing ones are
    // not reported.
    let unlinked: UnknownValueError | undefined;
    for (const ruleset of ofType(args.resources, cloudflare.Ruleset)) {
      const deployment = tryKnown(() => ({
        executed: executedRulesets(ruleset),
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
      if (kind === "root") {
        executed.forEach((id) => accountWide.add(id));
        continue;
      }
      const zone = zoneOf(ruleset, zoneResources);
      if (zone instanceof UnknownValueError) {
        unlinked ??= zone;
        continue;
      }
      const ids = perZone.get(zone.key) ?? new Set<string>();
      executed.forEach((id) => ids.add(id));
      perZone.set(zone.key, ids);
    }
    const { zones, undetermined } = zonesOfStack(args.resources);
    for (const zone of zones) {
      const deployed = perZone.get(zone.key) ?? new Set<string>();
      const missing = requiredManagedRulesetIds.filter((id) => !deployed.has(id) && !accountWide.has(id));
      if (missing.length > 0 && unlinked) {
        deferred.remember(unlinked);
      } else if (missing.length > 0) {
        reportViolation(
          `Add a cloudflare.Ruleset in phase ${managedPhase} for ${zone.label} that executes managed ruleset ` +
            `${missing.join(", ")}.`,
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

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
const CLOUDFLARE_MANAGED = "efb7b8c949ac4650a09736fc376e9aee";
const OWASP_CORE = "4814384a9e5d4991b9815dcfc25d2f1f";

const defaults = {
  // The ids of the Cloudflare Managed Ruleset and the Cloudflare OWASP Core Ruleset are fixed across
  // all accounts (Cloudflare docs, "WAF Managed Rules": both are on Pro and above).
  requiredManagedRulesetIds: [CLOUDFLARE_MANAGED, OWASP_CORE],
};

/**
 * Every rule of the OWASP Core Ruleset belongs to exactly one paranoia level (Cloudflare docs,
 * "Cloudflare OWASP Core Ruleset": "paranoia levels PL1 to PL4, tagged paranoia-level-1 to 4"):
 * disabling the four categories disables every rule. And the ruleset blocks only through its last
 * rule, 949110 "Inbound Anomaly Score Exceeded": any other action there lets every request through.
 */
const OWASP_PARANOIA_CATEGORIES = [1, 2, 3, 4].map((level) => `paranoia-level-${level}`);
const OWASP_ANOMALY_RULE = "6179ae15870a4bb7b2d480d4843b323c";

interface Overrides {
  enabled?: boolean;
  action?: string;
  categories?: { category?: string; enabled?: boolean; action?: string }[];
  rules?: { id?: string; enabled?: boolean; action?: string }[];
}

interface RulesetRule {
  action?: string;
  enabled?: boolean;
  expression?: string;
  actionParameters?: {
    id?: string;
    overrides?: Overrides;
    /** `skip`: the phases it skips for matching requests. */
    phases?: string[];
    /** `skip`: "current" skips the rest of this ruleset. */
    ruleset?: string;
    /** `skip`: the managed rulesets it skips. */
    rulesets?: string[];
  };
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
 * Whether an expression can hold for every request to a host: it names no field but the host
 * (`true`, `http.host eq "..."`), or one of its `or` alternatives does. A skip narrower than that
 * (a path, a source address, a header) is an exception; one this wide switches the WAF off.
 */
function asWideAsAHost(expression: string): boolean {
  return expression.split(/\s+or\s+|\s*\|\|\s*/).some((alternative) => {
    const fields = alternative.match(/\b(?:http|ip|cf|ssl|raw)\.[a-z0-9_.]+/g) ?? [];
    return fields.every((field) => field === "http.host" || field === "http.request.full_uri");
  });
}

/**
 * What in a ruleset skips the managed WAF for whole hosts: an enabled `skip` of the managed phase
 * (from the custom phase), or, in the managed phase, a `skip` of the current ruleset or of a
 * managed ruleset placed before the rules that execute it. `execute` rules are judged by
 * {@link executions}.
 */
function bypasses(ruleset: PolicyResource): string[] {
  const rules = (ruleset.props["rules"] ?? []) as RulesetRule[];
  const phase = ruleset.props["phase"];
  return rules.flatMap((rule, index) => {
    if (rule.action !== "skip" || rule.enabled === false) return [];
    const expression = (rule.expression ?? "").trim();
    if (!asWideAsAHost(expression)) return [];
    const parameters = rule.actionParameters ?? {};
    const skipped = [
      ...(parameters.phases?.includes(managedPhase) ? [`the ${managedPhase} phase`] : []),
      ...(phase === managedPhase &&
      parameters.ruleset === "current" &&
      rules.slice(index + 1).some((r) => r.action === "execute")
        ? ["the managed rulesets after it"]
        : []),
      ...(phase === managedPhase ? (parameters.rulesets ?? []).map((id) => `managed ruleset ${id}`) : []),
    ];
    return skipped.length > 0
      ? [
          `cloudflare.Ruleset '${ruleset.name}' rule ${index + 1} skips ${skipped.join(" and ")} on requests matching ${JSON.stringify(expression)}`,
        ]
      : [];
  });
}

/** Why an OWASP Core Ruleset's overrides leave it blocking nothing, if they do. */
function owaspNeutralised(overrides: Overrides | undefined): string | undefined {
  const disabled = new Set(
    (overrides?.categories ?? []).filter((c) => c.enabled === false).map((c) => c.category),
  );
  if (OWASP_PARANOIA_CATEGORIES.every((category) => disabled.has(category))) {
    return "has overrides disabling all four paranoia-level categories, which turns every OWASP rule off";
  }
  const anomaly = (overrides?.rules ?? []).find((r) => r.id === OWASP_ANOMALY_RULE);
  if (
    anomaly?.enabled === false ||
    (anomaly?.action !== undefined && !stoppingActions.includes(anomaly.action))
  ) {
    return `overrides rule ${OWASP_ANOMALY_RULE} (949110, the anomaly score that blocks) to ${anomaly.enabled === false ? "disabled" : JSON.stringify(anomaly.action)}, so the OWASP rules only score`;
  }
  return undefined;
}

/**
 * What a ruleset of the managed phase deploys: every enabled `execute` rule, with the reason it is
 * neutralised, if any. A rule that executes the ruleset only where its expression holds leaves
 * every other request unprotected; a ruleset-level override `enabled: false` turns all its rules
 * off, and an override action that does not stop the request (e.g. `log`) only watches. Category
 * and rule overrides are tuning (paranoia levels, a false positive) and are left alone, except
 * where they leave the OWASP Core Ruleset blocking nothing ({@link owaspNeutralised}); the
 * Cloudflare Managed Ruleset's categories cannot be listed offline, so only its ruleset-level
 * overrides are judged.
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
      const owasp = id === OWASP_CORE ? owaspNeutralised(overrides) : undefined;
      return owasp ? { id, weakness: owasp } : { id };
    });
}

export const zoneManagedWaf = stackPolicy({
  name: "cloudflare-zone-managed-waf",
  description:
    "Every Cloudflare zone of the stack runs the Cloudflare Managed and OWASP Core Rulesets (WAF) on every request, not neutralised by overrides or skipped for whole hosts.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: {
    other: ["Cloudflare WAF Managed Rules (Cloudflare Managed Ruleset, Cloudflare OWASP Core Ruleset)"],
  },
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
    /** zone key (or "account") → the skips that switch its managed WAF off for whole hosts. */
    const skipped = new Map<string, string[]>();
    for (const ruleset of ofType(args.resources, cloudflare.Ruleset)) {
      const deployment = tryKnown(() => ({
        executed: executions(ruleset),
        skips: bypasses(ruleset),
        kind: ruleset.props["kind"],
      }));
      if (!deployment.known) {
        unlinked ??= deployment.error;
        continue;
      }
      const { executed, skips, kind } = deployment.value;
      if (executed.length === 0 && skips.length === 0) {
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
      if (skips.length > 0) skipped.set(key, [...(skipped.get(key) ?? []), ...skips]);
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
      const skips = [...(skipped.get(zone.key) ?? []), ...(skipped.get("account") ?? [])];
      if (skips.length > 0) {
        reportViolation(
          `The managed WAF of ${zone.label} is switched off for whole hosts: ${skips.join("; ")}. ` +
            `Narrow each skip to the path or source it is for (a condition on more than the host), or remove it.`,
          zone.zone?.urn,
        );
      }
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

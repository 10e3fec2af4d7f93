/**
 * Runs the policy pack without the Pulumi CLI, for the offline plan (tools/plan.ts) and the tests. It
 * evaluates rules the way the real analyzer does (see offline/analyzer.ts): the CLI's config handling,
 * @pulumi/policy's own deserializer and unknown-checking proxy, its enforcement-level resolution, and the
 * engine's attribution of violations to resources.
 */
import * as fs from "fs";
import * as path from "path";
import type { PolicyPackConfig } from "@pulumi/policy";
import { EXEMPTING_SETTINGS } from "./lib/config";
import { analyze, type PackIdentity } from "./offline/analyzer";
import { formatPolicySection } from "./offline/format";
import { configDirectory, PolicyConfigError } from "./offline/config-files";
import {
  parsePolicyPackConfig,
  reconcilePolicyPackConfig,
  type ReconciledPolicyConfig,
} from "./offline/policy-config";
import type { AnalyzedResource } from "./offline/resources";
import { policies, policyPackEnforcementLevel, policyPackName } from "./rules";

export { PolicyConfigError, policyConfigName } from "./offline/config-files";

/** A resource as the engine hands it to the analyzer; props in Pulumi's wire format. */
export type OfflineResource = AnalyzedResource;

export interface OfflineViolation {
  policyName: string;
  enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
  severity?: string;
  /** As the analyzer sends it: the policy's description, a newline, then the rule's own sentence. */
  message: string;
  urn?: string;
}

export interface NotEvaluatedPolicy {
  policyName: string;
  urn?: string;
  reason: string;
}

export interface PolicyRunResult {
  violations: OfflineViolation[];
  /** Policies not disabled by the config. */
  policiesRun: number;
  /** Rules that touched a value unknown until deployment (the CLI prints these as advisory notes). */
  notEvaluated: NotEvaluatedPolicy[];
}

function packVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "package.json"), "utf8")) as {
    version?: string;
  };
  if (!manifest.version) {
    throw new Error("policies/package.json has no version; the policy pack needs one.");
  }
  return manifest.version;
}

/** Name, version (from policies/package.json) and default level of the pack, as the CLI reports them. */
export const policyPack: PackIdentity = {
  name: policyPackName,
  version: packVersion(),
  enforcementLevel: policyPackEnforcementLevel,
};

function reconcile(config: PolicyPackConfig) {
  const { parsed, errors: parseErrors } = parsePolicyPackConfig(config);
  const { config: reconciled, errors } = reconcilePolicyPackConfig(
    policies,
    policyPack.enforcementLevel,
    parsed,
  );
  return { parsed, reconciled, errors: [...parseErrors, ...errors] };
}

function bulleted(problems: string[]): string {
  return problems.map((problem) => `  - ${problem}`).join("\n");
}

/**
 * Exemptions without a reason, and reasons that explain no exemption. The CLI accepts both (`reasons` is a
 * plain setting to it); a reviewer could not tell why an object escapes a rule, or would read a stale reason.
 */
function unexplained(parsed: ReturnType<typeof parsePolicyPackConfig>["parsed"]): string[] {
  const byName = new Map(policies.map((policy) => [policy.name, policy]));
  return Object.entries(parsed).flatMap(([name, entry]) => {
    const schema = byName.get(name)?.configSchema?.properties ?? {};
    if (!("reasons" in schema)) {
      return [];
    }
    const reasons = (entry.properties["reasons"] ?? {}) as Record<string, unknown>;
    const added = EXEMPTING_SETTINGS.flatMap((setting) => {
      const given = entry.properties[setting];
      const defaults = (schema[setting] as { default?: unknown } | undefined)?.default;
      return Array.isArray(given)
        ? given
            .filter((item) => !(Array.isArray(defaults) && defaults.includes(item)))
            .map((item) => ({ setting, item: String(item) }))
        : [];
    });
    return [
      ...added
        .filter(({ item }) => typeof reasons[item] !== "string")
        .map(
          ({ setting, item }) =>
            `"${name}".${setting} "${item}" has no reason: add "reasons": { "${item}": "..." }.`,
        ),
      ...Object.keys(reasons)
        .filter((key) => !added.some(({ item }) => item === key))
        .map(
          (key) =>
            `"${name}".reasons "${key}" explains no entry this config adds to ${EXEMPTING_SETTINGS.join(", ")}.`,
        ),
    ];
  });
}

/**
 * Names and settings the CLI would silently ignore: keys that name no policy, and properties a policy does
 * not declare (a misspelt setting would otherwise leave the default in force).
 */
function typos(parsed: ReturnType<typeof parsePolicyPackConfig>["parsed"]): string[] {
  const byName = new Map(policies.map((policy) => [policy.name, policy]));
  return Object.entries(parsed).flatMap(([name, entry]) => {
    if (name === "all") {
      const extra = Object.keys(entry.properties);
      return extra.length > 0 ? [`"all" only takes an enforcement level (found ${extra.join(", ")}).`] : [];
    }
    const policy = byName.get(name);
    if (!policy) {
      return [`"${name}" is not a policy of ${policyPack.name}.`];
    }
    const settings = Object.keys(policy.configSchema?.properties ?? {});
    return Object.keys(entry.properties)
      .filter((key) => !settings.includes(key))
      .map(
        (key) =>
          `"${name}".${key} is not a setting of this rule (settings: ${settings.join(", ") || "none"}).`,
      );
  });
}

/**
 * Reads policies/config/<name>.json, the file given to `pulumi preview --policy-pack-config`, and checks it
 * as the CLI would, and also refuses what the CLI would silently ignore (see `typos`). `directory` exists for
 * tests.
 */
export function loadPolicyConfig(name: string, directory = configDirectory): PolicyPackConfig {
  const file = path.join(directory, `${name}.json`);
  if (!fs.existsSync(file)) {
    const names = fs.existsSync(directory)
      ? fs
          .readdirSync(directory)
          .filter((f) => f.endsWith(".json"))
          .map((f) => f.slice(0, -5))
      : [];
    throw new PolicyConfigError(
      `No policy config '${name}': ${file} does not exist (configs: ${names.join(", ")}).`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new PolicyConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const { parsed, errors } = reconcile(document as PolicyPackConfig);
  const problems = [...errors, ...typos(parsed), ...unexplained(parsed)];
  if (problems.length > 0) {
    throw new PolicyConfigError(`${file} is not a valid policy pack config:\n${bulleted(problems)}`);
  }
  return document as PolicyPackConfig;
}

/** Evaluates every enabled rule on the resources, as `pulumi preview --policy-pack ... --policy-pack-config ...`. */
/** What the CLI hands the analyzer's Configure RPC for `config`: every policy's level and properties. */
export function reconciledPolicyConfig(config: PolicyPackConfig): Record<string, ReconciledPolicyConfig> {
  const { reconciled, errors } = reconcile(config);
  if (errors.length > 0) {
    throw new Error(`Invalid policy pack config:\n${bulleted(errors)}`);
  }
  return reconciled;
}

export async function runPolicies(
  resources: OfflineResource[],
  config: PolicyPackConfig,
): Promise<PolicyRunResult> {
  const result = await analyze(resources, policies, reconciledPolicyConfig(config), policyPack);
  return {
    violations: result.diagnostics,
    policiesRun: result.policiesRun,
    notEvaluated: result.notEvaluated,
  };
}

/**
 * The CLI's "Policies:" section for these violations (and, if given, the rules that could not run, which
 * the CLI lists as advisory).
 */
export function formatViolations(v: OfflineViolation[], notEvaluated: NotEvaluatedPolicy[] = []): string {
  return formatPolicySection({ ...policyPack, localPath: "policies" }, v, notEvaluated);
}

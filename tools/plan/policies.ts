import {
  formatViolations,
  loadPolicyConfig,
  policyConfigName,
  runPolicies,
  type OfflineResource,
} from "../../policies/offline";
import type { ProgramRun, RegisteredResource } from "../engine/engine";
import { environmentOf } from "../engine/stackConfig";
import type { CheckOptions, CheckResult } from "./check";

/** A registered resource as the analyzer sees it: inputs (resource rules), outputs (stack rules), links. */
export function toPolicyResource(r: RegisteredResource): OfflineResource {
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    props: r.inputs,
    outputs: r.outputs,
    parent: r.parent,
    provider: r.provider,
    protect: r.protect,
    dependencies: r.dependencies,
    propertyDependencies: r.propertyDependencies,
  };
}

/** The policy config a planned stack runs with (its own file, else its environment's): its name. */
export function policyConfigOfRun(run: ProgramRun, directory?: string): string {
  return policyConfigName(run.stack.stack, environmentOf(run.stack), directory);
}

/**
 * The CrossGuard gate: every rule of policies/ with the stack's policy config, printed the way
 * `pulumi preview --policy-pack` prints it. A mandatory violation fails the plan.
 */
export async function policyGate(run: ProgramRun, options: CheckOptions = {}): Promise<CheckResult> {
  const directory = options.policyConfigDirectory;
  const configName = policyConfigOfRun(run, directory);
  const config = loadPolicyConfig(configName, directory);
  const result = await runPolicies(run.resources.map(toPolicyResource), config);
  const mandatory = result.violations.filter(
    (v) => v.enforcementLevel === "mandatory" || v.enforcementLevel === "remediate",
  );
  const summary = `${result.policiesRun} policies on ${run.resources.length} resources with policies/config/${configName}.json: ${mandatory.length} mandatory and ${result.violations.length - mandatory.length} advisory violations, ${result.notEvaluated.length} not evaluated until deployment.`;
  const details =
    result.violations.length || result.notEvaluated.length
      ? formatViolations(result.violations, result.notEvaluated)
      : "";
  return {
    title: "CrossGuard, offline:",
    lines: [summary, ...(details ? details.split("\n") : [])],
    failed: mandatory.length > 0,
  };
}

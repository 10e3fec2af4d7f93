/**
 * The analyzer side of CrossGuard without gRPC: the same steps as @pulumi/policy's server.js
 * (makeAnalyzeRpcFun for each resource, makeAnalyzeStackRpcFun for the stack) and the engine's handling of
 * their diagnostics. Properties go through the package's own deserializer and unknown-checking proxy, so a
 * rule sees exactly the values it would see under `pulumi preview`.
 */
import { UnknownValueError } from "@pulumi/policy";
import type {
  EnforcementLevel,
  Policy,
  ResourceValidation,
  ReportViolation,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import { getPulumiType, isResourcePolicy, isStackPolicy } from "../lib/policy-runtime";
import type { ReconciledPolicyConfig } from "./policy-config";
import {
  isTypeOf,
  madeProps,
  policyProvider,
  providerResource,
  resourceOptions,
  stackResourcesBuilder,
  withProps,
  type AnalyzedResource,
} from "./resources";

export type { AnalyzedResource } from "./resources";

export interface Diagnostic {
  policyName: string;
  enforcementLevel: EnforcementLevel;
  severity?: string;
  message: string;
  urn?: string;
}

export interface NotEvaluated {
  policyName: string;
  urn?: string;
  reason: string;
}

export interface PackIdentity {
  name: string;
  version: string;
  enforcementLevel: EnforcementLevel;
}

export interface AnalysisResult {
  diagnostics: Diagnostic[];
  notEvaluated: NotEvaluated[];
  policiesRun: number;
}

const rootStackType = "pulumi:pulumi:Stack";

class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

function levelOf(
  policy: Policy,
  config: Record<string, ReconciledPolicyConfig>,
  pack: PackIdentity,
): EnforcementLevel {
  return config[policy.name]?.enforcementLevel || policy.enforcementLevel || pack.enforcementLevel;
}

function configGetter(policy: Policy, config: Record<string, ReconciledPolicyConfig>) {
  return <T extends object>(): T => structuredClone(config[policy.name]?.properties ?? {}) as T;
}

/**
 * server.js makeReportViolationFun: the description, a newline, then the rule's message. (server.js also
 * takes an object in place of the message; @pulumi/policy's ReportViolation type does not, policy.d.ts:
 * `(message: string, urn?: string): void`, so no rule of ours can report one.)
 */
function violationReporter(
  policy: Policy,
  level: EnforcementLevel,
  diagnostics: Diagnostic[],
  urnFor: (reportedUrn?: string) => string | undefined,
): ReportViolation {
  return (message: string, urn?: string) => {
    diagnostics.push({
      policyName: policy.name,
      enforcementLevel: level,
      severity: policy.severity,
      message: message ? `${policy.description}\n${message}` : policy.description,
      urn: urnFor(urn),
    });
  };
}

function cannotRun(policy: Policy, pack: PackIdentity, error: UnknownValueError): string {
  return `can't run policy '${policy.name}' from policy pack '${pack.name}@v${pack.version}' during preview: ${error.message}`;
}

function failure(policy: Policy, pack: PackIdentity, subject: string, error: unknown): Error {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return new Error(
    `Error validating ${subject} with policy '${policy.name}' from policy pack '${pack.name}@v${pack.version}':\n${detail}`,
    { cause: error },
  );
}

/** A resource policy that runs, with what every call of it shares. */
interface RunningResourcePolicy {
  policy: Policy;
  level: EnforcementLevel;
  validations: ResourceValidation[];
  /** The one type a single typed validation (validateResourceOfType) applies to. */
  onlyType?: string;
  getConfig: ReturnType<typeof configGetter>;
}

/** The level a rule runs at: its configured one, remediate run as mandatory (no rule here remediates). */
function runLevel(level: EnforcementLevel): EnforcementLevel {
  return level === "remediate" ? "mandatory" : level;
}

function runningResourcePolicies(
  policies: Policy[],
  config: Record<string, ReconciledPolicyConfig>,
  pack: PackIdentity,
): RunningResourcePolicy[] {
  return policies.flatMap((policy) => {
    const level = levelOf(policy, config, pack);
    if (level === "disabled" || !isResourcePolicy(policy) || !policy.validateResource) return [];
    const { validateResource } = policy;
    return [
      {
        policy,
        level: runLevel(level),
        validations: Array.isArray(validateResource) ? validateResource : [validateResource],
        // server.js skips a single typed validation for other types without calling it.
        onlyType: Array.isArray(validateResource) ? undefined : getPulumiType(validateResource),
        getConfig: configGetter(policy, config),
      },
    ];
  });
}

async function analyzeResource(
  resource: AnalyzedResource,
  provider: AnalyzedResource | undefined,
  running: RunningResourcePolicy[],
  pack: PackIdentity,
  result: AnalysisResult,
): Promise<void> {
  const isType = (resourceClass: unknown) => isTypeOf(resource.type, resourceClass);
  for (const { policy, level, validations, onlyType, getConfig } of running) {
    if (onlyType && onlyType !== resource.type) {
      continue;
    }
    // The engine files every violation of a resource policy under the resource itself.
    const reportViolation = violationReporter(policy, level, result.diagnostics, () => resource.urn);
    for (const validation of validations) {
      try {
        // Each validation gets its own copy of the properties (and of its provider's), as from server.js,
        // made when it first reads them: most validations look at the type first and never do.
        const args: ResourceValidationArgs = withProps(
          {
            type: resource.type,
            urn: resource.urn,
            name: resource.name,
            opts: resourceOptions(resource),
            stackTags: new Map<string, string>(),
            isType,
            asType: ((resourceClass: unknown) =>
              isTypeOf(resource.type, resourceClass)
                ? madeProps(args)
                : undefined) as ResourceValidationArgs["asType"],
            getConfig,
            notApplicable: throwNotApplicable,
          },
          resource.props,
        );
        if (provider) args.provider = policyProvider(provider);
        await Promise.resolve(validation(args, reportViolation));
      } catch (error) {
        if (error instanceof UnknownValueError) {
          result.notEvaluated.push({
            policyName: policy.name,
            urn: resource.urn,
            reason: cannotRun(policy, pack, error),
          });
        } else if (!(error instanceof NotApplicableError)) {
          throw failure(policy, pack, `resource ${resource.urn}`, error);
        }
      }
    }
  }
}

async function analyzeStack(
  resources: AnalyzedResource[],
  policies: Policy[],
  config: Record<string, ReconciledPolicyConfig>,
  pack: PackIdentity,
  result: AnalysisResult,
): Promise<void> {
  const known = new Set(resources.map((resource) => resource.urn));
  // The engine files a stack violation under the named resource if it exists, else under the root stack.
  const rootStack = resources.find((resource) => resource.type === rootStackType)?.urn;
  const urnFor = (urn?: string) => (urn && known.has(urn) ? urn : rootStack);
  const build = stackResourcesBuilder(resources);
  for (const policy of policies) {
    const level = levelOf(policy, config, pack);
    if (level === "disabled" || !isStackPolicy(policy)) {
      continue;
    }
    const onlyType = getPulumiType(policy.validateStack);
    if (onlyType && !resources.some((resource) => resource.type === onlyType)) {
      continue;
    }
    const reportViolation = violationReporter(policy, runLevel(level), result.diagnostics, urnFor);
    try {
      // server.js builds the stack's resources afresh for each stack policy: one rule's changes never
      // reach the next.
      const args: StackValidationArgs = {
        resources: build(),
        getConfig: configGetter(policy, config),
        stackTags: new Map<string, string>(),
        notApplicable: throwNotApplicable,
      };
      await Promise.resolve(policy.validateStack(args, reportViolation));
    } catch (error) {
      if (error instanceof UnknownValueError) {
        result.notEvaluated.push({ policyName: policy.name, reason: cannotRun(policy, pack, error) });
      } else if (!(error instanceof NotApplicableError)) {
        throw failure(policy, pack, "the stack", error);
      }
    }
  }
}

/** Runs every enabled policy: resource policies on each resource, then stack policies on the whole stack. */
export async function analyze(
  resources: AnalyzedResource[],
  policies: Policy[],
  config: Record<string, ReconciledPolicyConfig>,
  pack: PackIdentity,
): Promise<AnalysisResult> {
  const result: AnalysisResult = {
    diagnostics: [],
    notEvaluated: [],
    policiesRun: policies.filter((policy) => levelOf(policy, config, pack) !== "disabled").length,
  };
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const running = runningResourcePolicies(policies, config, pack);
  for (const resource of resources) {
    await analyzeResource(resource, providerResource(resource, byUrn), running, pack, result);
  }
  await analyzeStack(resources, policies, config, pack, result);
  return result;
}

/**
 * Typed access to the parts of @pulumi/policy that its analyzer server uses but that the package marks
 * `@internal` (they exist at runtime, not in the .d.ts files). The offline runner must build
 * `ResourceValidationArgs` exactly as the real server does, so it reuses these instead of copying them.
 * If an upgrade of @pulumi/policy moves one of them, this module fails loudly at import time rather than
 * letting the offline runner drift from the real analyzer.
 */
import * as policyIndex from "@pulumi/policy";
import * as policyDeserialize from "@pulumi/policy/deserialize";
import type { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

interface PolicyIndexInternals {
  /** The `__pulumiType` token attached to SDK resource classes and to `validateResourceOfType` functions. */
  getPulumiType(obj: unknown): string | undefined;
  isResourcePolicy(policy: Policy): policy is ResourceValidationPolicy;
  isStackPolicy(policy: Policy): policy is StackValidationPolicy;
}

interface DeserializeInternals {
  /** Turns the gRPC property struct into plain values: secrets unwrapped (or wrapped in `Secret` when asked), assets rebuilt. */
  deserializeProperties(
    outputsStruct: { toJavaScript(): Record<string, unknown> },
    proxySecrets: boolean,
  ): Record<string, unknown>;
}

function requireFunctions<T extends object>(module: unknown, names: (keyof T)[], from: string): T {
  for (const name of names) {
    if (typeof (module as Record<PropertyKey, unknown>)[name] !== "function") {
      throw new Error(
        `${from} no longer exports '${String(name)}'; the offline policy runner (policies/offline.ts) mirrors ` +
          `the real analyzer through it and must be updated for this @pulumi/policy version.`,
      );
    }
  }
  return module as T;
}

const indexInternals = requireFunctions<PolicyIndexInternals>(
  policyIndex,
  ["getPulumiType", "isResourcePolicy", "isStackPolicy"],
  "@pulumi/policy",
);
const deserializeInternals = requireFunctions<DeserializeInternals>(
  policyDeserialize,
  ["deserializeProperties"],
  "@pulumi/policy/deserialize",
);

export const getPulumiType = indexInternals.getPulumiType;
export const isResourcePolicy = indexInternals.isResourcePolicy;
export const isStackPolicy = indexInternals.isStackPolicy;
export const deserializeProperties = deserializeInternals.deserializeProperties;

/** The Pulumi type token of an SDK resource class, e.g. `kubernetes:apps/v1:Deployment`. */
export function typeTokenOf(resourceClass: abstract new (...args: never[]) => unknown): string {
  const token = getPulumiType(resourceClass);
  if (!token) {
    throw new Error(`${resourceClass.name} carries no Pulumi type token (__pulumiType).`);
  }
  return token;
}

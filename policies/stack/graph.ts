/**
 * Stack rules see every resource with its dependency graph. During a preview the values that tie resources
 * together (a bucket's id, a zone's id) are often unknown, but the engine still records which resources
 * each property was built from; these helpers link resources through that graph first and through known
 * values second, and let a rule finish checking what it can before admitting what it could not.
 */
import type { PolicyResource } from "@pulumi/policy";
import { UnknownValueError } from "@pulumi/policy";

/** An SDK resource class, as PolicyResource.isType accepts it. */
export type ResourceClass = Parameters<PolicyResource["isType"]>[0];

export function ofType(resources: PolicyResource[], ...classes: ResourceClass[]) {
  return resources.filter((resource) => classes.some((resourceClass) => resource.isType(resourceClass)));
}

/** Whether `property` of `resource` was computed from `target` (falls back to any dependency when no property is given). */
export function builtFrom(resource: PolicyResource, target: PolicyResource, property?: string): boolean {
  const sources =
    property === undefined ? resource.dependencies : (resource.propertyDependencies[property] ?? []);
  return sources.some((source) => source.urn === target.urn);
}

/**
 * Collects unknown-value errors so a stack rule can check every resource it can and only then throw: the
 * analyzer keeps the violations already reported and adds a "can't run during preview" note for the rest.
 */
export class DeferredUnknowns {
  private first: UnknownValueError | undefined;

  /** Runs `check`; an unknown value it hits is remembered instead of aborting the rule. */
  attempt(check: () => void): void {
    try {
      check();
    } catch (error) {
      if (!(error instanceof UnknownValueError)) {
        throw error;
      }
      this.first ??= error;
    }
  }

  remember(error: UnknownValueError): void {
    this.first ??= error;
  }

  /** Call last: rethrows the first unknown value met, if any. */
  rethrow(): void {
    if (this.first) {
      throw this.first;
    }
  }
}

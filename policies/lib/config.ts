/**
 * Rule configuration. Each rule declares its defaults once, as a typed object; its JSON `configSchema`
 * (which the CLI validates `--policy-pack-config` against and fills defaults from) refers to the same
 * object, and at runtime the rule merges what the analyzer hands it over those defaults, so a run
 * without config (e.g. `pulumi preview --policy-pack policies` alone) behaves like the documented defaults.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";

export function readConfig<T extends object>(args: { getConfig<U extends object>(): U }, defaults: T): T {
  return { ...defaults, ...args.getConfig<Partial<T>>() };
}

/** Joins several rules' schema fragments into one `configSchema`. */
export function configSchema(...parts: PolicyConfigSchema["properties"][]): PolicyConfigSchema {
  return { properties: Object.assign({}, ...parts) };
}

export const stringList = (description: string, defaultValue: readonly string[]) => ({
  type: "array" as const,
  items: { type: "string" as const },
  description,
  default: [...defaultValue],
});

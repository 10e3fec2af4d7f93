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

/**
 * Settings that take a rule out of scope for some objects. A stack's config gives a reason for every entry
 * it adds beyond the rule's defaults, under `reasons` (JSON has no comments; the CLI validates `reasons` as
 * any other setting, and the offline loader refuses an entry without a reason or a reason without an entry).
 */
export const EXEMPTING_SETTINGS = [
  "exemptions",
  "excludedNamespaces",
  "allowedLoadBalancerServices",
] as const;

/** The `reasons` setting: why each exempting entry of this stack's config exists, keyed by the entry itself. */
export const reasonsSchema = {
  reasons: {
    type: "object" as const,
    additionalProperties: { type: "string" as const, minLength: 1 },
    description:
      `Why each entry of ${EXEMPTING_SETTINGS.join(", ")} that the stack adds beyond the rule's defaults ` +
      "exists, keyed by the entry (documentation: the rule itself does not read it).",
    default: {},
  },
};

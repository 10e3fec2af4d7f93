/**
 * The CLI's handling of `--policy-pack-config`, reproduced: parse the file the way
 * pkg/resource/analyzer's parsePolicyPackConfig does, fill every policy's defaults from its configSchema,
 * apply the `all` key and then the per-policy entries (ReconcilePolicyPackConfig / applyConfig), and
 * validate each policy's resulting properties against its schema (the CLI uses gojsonschema; Ajv applies
 * the same JSON-schema keywords).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Options, ValidateFunction } from "ajv";
import type { EnforcementLevel, Policy, PolicyConfigSchema } from "@pulumi/policy";

export const enforcementLevels: readonly EnforcementLevel[] = [
  "advisory",
  "mandatory",
  "remediate",
  "disabled",
];

/** One policy's entry after parsing: the level (if given) and the remaining properties. */
export interface ParsedPolicyConfig {
  enforcementLevel?: EnforcementLevel;
  properties: Record<string, unknown>;
}

/** What the engine sends the analyzer for one policy (its Configure RPC). */
export interface ReconciledPolicyConfig {
  enforcementLevel: EnforcementLevel;
  properties: Record<string, unknown>;
}

const isEnforcementLevel = (value: unknown): value is EnforcementLevel =>
  typeof value === "string" && (enforcementLevels as readonly string[]).includes(value);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Parses a policy pack config document; problems are returned as sentences, as many as are found. */
export function parsePolicyPackConfig(document: unknown): {
  parsed: Record<string, ParsedPolicyConfig>;
  errors: string[];
} {
  const parsed: Record<string, ParsedPolicyConfig> = {};
  const errors: string[] = [];
  if (!isPlainObject(document)) {
    return { parsed, errors: ["The policy pack config must be a JSON object keyed by policy name."] };
  }
  for (const [policyName, value] of Object.entries(document)) {
    if (typeof value === "string") {
      if (isEnforcementLevel(value)) {
        parsed[policyName] = { enforcementLevel: value, properties: {} };
      } else {
        errors.push(
          `"${policyName}": "${value}" is not an enforcement level (${enforcementLevels.join(", ")}).`,
        );
      }
    } else if (isPlainObject(value)) {
      const { enforcementLevel, ...properties } = value;
      if (enforcementLevel !== undefined && !isEnforcementLevel(enforcementLevel)) {
        errors.push(
          `"${policyName}".enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level ` +
            `(${enforcementLevels.join(", ")}).`,
        );
        continue;
      }
      // Like the CLI, an entry with neither a level nor properties is dropped.
      if (enforcementLevel !== undefined || Object.keys(properties).length > 0) {
        parsed[policyName] = { enforcementLevel, properties };
      }
    } else {
      errors.push(
        `"${policyName}": ${JSON.stringify(value)} is not valid; use an enforcement level or an object.`,
      );
    }
  }
  return { parsed, errors };
}

function schemaDefaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema?.properties ?? {})) {
    if ("default" in property) {
      defaults[key] = structuredClone(property.default);
    }
  }
  return defaults;
}

// The policies' schemas themselves are checked by the pack's tests (tests/policies/pack.spec.ts:
// draft-07, strict), so here Ajv neither re-validates them nor optimises the validator it runs once:
// a third of the plan's time in Ajv, the same errors.
const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: true,
  validateSchema: false,
  code: { optimize: false, source: true },
};
const cacheDirectory = path.join(__dirname, "..", "..", "node_modules", ".cache", "healthflow-ajv");

/**
 * Ajv's validator for `schema`, compiled once per schema, Ajv version and options and kept on disk as
 * Ajv's standalone code (as tools/ts-hook.js keeps transformed TypeScript): loading Ajv and compiling
 * the pack's schemas costs about 100 ms a run, requiring the kept code under 10. A read-only checkout
 * compiles every time. `directory` exists for tests.
 */
export function compileValidator(schema: object, directory = cacheDirectory): ValidateFunction {
  /* eslint-disable @typescript-eslint/no-require-imports -- Ajv is loaded only when nothing is kept */
  const ajvVersion = (require("ajv/package.json") as { version: string }).version;
  const key = crypto
    .createHash("sha1")
    .update(`ajv ${ajvVersion} ${JSON.stringify(AJV_OPTIONS)} ${JSON.stringify(schema)}`)
    .digest("hex");
  const kept = path.join(directory, `${key}.js`);
  if (fs.existsSync(kept)) {
    try {
      const loaded: unknown = require(kept);
      if (typeof loaded === "function") return loaded as ValidateFunction;
    } catch {
      // unreadable: compiled again and replaced below
    }
    // Not a validator (an empty or cut-off file): compiled again and replaced below.
  }
  const { default: Ajv } = require("ajv") as typeof import("ajv");
  const { default: standaloneCode } = require("ajv/dist/standalone") as typeof import("ajv/dist/standalone");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const ajv = new Ajv(AJV_OPTIONS);
  const validate = ajv.compile(schema);
  try {
    fs.mkdirSync(directory, { recursive: true });
    const temporary = `${kept}.${process.pid}`;
    fs.writeFileSync(temporary, standaloneCode(ajv, validate));
    fs.renameSync(temporary, kept);
  } catch {
    // A read-only checkout still validates, compiling every time.
  }
  return validate;
}

const validators = new WeakMap<Policy[], ValidateFunction>();

/**
 * One validator for every configurable policy of a pack: each policy's schema as the property of
 * its name, compiled once (one compile for the pack costs a fraction of one per policy, and the
 * errors are the same: each names its policy by the first segment of its path).
 */
function validatorFor(policies: Policy[]): ValidateFunction {
  let validate = validators.get(policies);
  if (!validate) {
    const properties: Record<string, object> = {};
    for (const policy of policies) {
      if (!policy.configSchema) continue;
      // The CLI injects enforcementLevel into every schema and validates the properties as one object.
      properties[policy.name] = {
        type: "object",
        properties: {
          ...policy.configSchema.properties,
          enforcementLevel: { type: "string", enum: [...enforcementLevels] },
        },
        ...(policy.configSchema.required?.length ? { required: policy.configSchema.required } : {}),
      };
    }
    validate = compileValidator({ type: "object", properties });
    validators.set(policies, validate);
  }
  return validate;
}

/**
 * Every policy's effective config: the policy's own level (or the pack's) and its schema defaults, then
 * `all`'s level, then the policy's entry. Entries for names that are not policies are kept, as the CLI does.
 */
export function reconcilePolicyPackConfig(
  policies: Policy[],
  packEnforcementLevel: EnforcementLevel,
  parsed: Record<string, ParsedPolicyConfig>,
): { config: Record<string, ReconciledPolicyConfig>; errors: string[] } {
  const config: Record<string, ReconciledPolicyConfig> = {};
  for (const policy of policies) {
    config[policy.name] = {
      enforcementLevel: policy.enforcementLevel ?? packEnforcementLevel,
      properties: schemaDefaults(policy.configSchema),
    };
  }
  const allLevel = parsed["all"]?.enforcementLevel;
  if (allLevel) {
    for (const entry of Object.values(config)) {
      entry.enforcementLevel = allLevel;
    }
  }
  for (const [name, given] of Object.entries(parsed)) {
    if (name === "all") {
      continue;
    }
    const existing = config[name] ?? { enforcementLevel: packEnforcementLevel, properties: {} };
    config[name] = {
      enforcementLevel: given.enforcementLevel ?? existing.enforcementLevel,
      properties: { ...existing.properties, ...given.properties },
    };
  }
  const errors: string[] = [];
  const validate = validatorFor(policies);
  const configurable = Object.fromEntries(
    policies
      .filter((policy) => policy.configSchema)
      .map((policy) => [policy.name, config[policy.name].properties]),
  );
  if (!validate(configurable)) {
    for (const error of validate.errors ?? []) {
      // "/<policy>/<property>/..." (JSON Pointer, "/" in a name escaped as "~1").
      const [name, ...rest] = error.instancePath.slice(1).split("/");
      const unescape = (segment: string) => segment.replace(/~1/g, "/").replace(/~0/g, "~");
      const where = rest.length ? rest.map(unescape).join(".") : "(root)";
      errors.push(`${unescape(name)}: ${where} ${error.message ?? "is invalid"}.`);
    }
  }
  return { config, errors };
}

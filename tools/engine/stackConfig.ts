import * as fs from "fs";
import * as path from "path";
import { fromYaml } from "../../components/yaml";

/** The project root: where Pulumi.yaml and the stack files live. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** A config value as a test or tool wants it set: plain, secret, or removed. */
export type ConfigOverride = string | number | boolean | object | { secret: unknown } | null;

/** What the Pulumi CLI would hand the program for a stack: values as strings, and which are secret. */
export interface StackConfigValues {
  project: string;
  stack: string;
  /** Full key (`healthflow:apps`) → the string the CLI passes (JSON for structured values). */
  config: Record<string, string>;
  secretKeys: string[];
}

/** The stack's `healthflow:environment` as its files give it ("" when unset; the settings check it). */
export function environmentOf(values: StackConfigValues): string {
  return values.config["healthflow:environment"] ?? "";
}

/** An error a user caused (unknown stack, unreadable stack file): printed without a stack trace. */
export class UsageError extends Error {}

function readYaml(file: string): Record<string, unknown> {
  return (fromYaml(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
}

/** The stacks this project has: one per Pulumi.<stack>.yaml in the project root. */
export function stackNames(root = PROJECT_ROOT): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

function asConfigString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Reads Pulumi.yaml and Pulumi.<stack>.yaml as the CLI does: project defaults first, the stack's
 * values over them, keys qualified with the project name. An encrypted stack value (`secure:`)
 * cannot be decrypted here, so it stands in as a marked placeholder and is reported secret.
 * `overrides` set (or, with null, remove) keys on top, as `pulumi config set/rm` would.
 */
export function readStackConfig(
  stack: string,
  overrides: Record<string, ConfigOverride> = {},
  root = PROJECT_ROOT,
): StackConfigValues {
  const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    throw new UsageError(
      `Unknown stack "${stack}": there is no Pulumi.${stack}.yaml in ${root}. Stacks: ${stackNames(root).join(", ")}.`,
    );
  }
  const project = readYaml(path.join(root, "Pulumi.yaml"));
  const projectName = String(project.name);
  const qualify = (key: string) => (key.includes(":") ? key : `${projectName}:${key}`);

  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const declared = (project.config ?? {}) as Record<string, { default?: unknown }>;
  for (const [key, declaration] of Object.entries(declared)) {
    if (declaration && typeof declaration === "object" && "default" in declaration) {
      config[qualify(key)] = asConfigString(declaration.default);
    }
  }
  let stackValues: Record<string, unknown>;
  try {
    stackValues = (readYaml(stackFile).config ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`Pulumi.${stack}.yaml is not valid YAML: ${(e as Error).message}`);
  }
  const set = (key: string, value: unknown) => {
    const full = qualify(key);
    secretKeys.delete(full);
    if (value === null) {
      delete config[full];
    } else if (value && typeof value === "object" && ("secure" in value || "secret" in value)) {
      const plain = "secret" in value ? value.secret : `placeholder-for-encrypted-${full}`;
      config[full] = asConfigString(plain);
      secretKeys.add(full);
    } else {
      config[full] = asConfigString(value);
    }
  };
  for (const [key, value] of Object.entries(stackValues)) set(key, value);
  for (const [key, value] of Object.entries(overrides)) set(key, value);
  return { project: projectName, stack, config, secretKeys: [...secretKeys].sort() };
}

import * as pulumi from "@pulumi/pulumi";
import { DNS01_TOKEN_SCOPE } from "./catalog/cloudflareTokens";
import { z } from "zod";
import { deployAlertingProblems, RENAMED_KEYS } from "./alerting";
import { closest } from "./formats";
import { crossFieldProblems } from "./checks";
import { placeholderProblems } from "./placeholders";
import { ConfigProblem, configSchema, SECRET_VALUE, StackConfig } from "./schema";

export { ALERT_RECEIVERS, ENVIRONMENTS } from "./schema";
export type { AlertReceiverKind, AppConfig, ConfigProblem, Environment, StackConfig } from "./schema";

/** The config namespace of this project (`healthflow:<key>` in the stack files). */
export const NAMESPACE = "healthflow";

/** Keys whose value must be stored encrypted (`pulumi config set --secret`). */
export const SECRET_KEYS = [
  "alertReceiverSecret",
  "alertHeartbeatUrl",
  "cloudflareDnsToken",
  "registryToken",
  "smtpPassword",
] as const;
type SecretKey = (typeof SECRET_KEYS)[number];

/** Keys holding a plain string; every other key is structured config (a YAML object). */
const SCALAR_KEYS = new Set(["environment", ...SECRET_KEYS]);

/** The stack's settings: validated config plus what follows from it. Components get slices of it. */
export type Settings = Omit<StackConfig, SecretKey> & {
  /** The Pulumi stack name, e.g. "production". */
  stack: string;
  /** Stateful resources get `protect` and deletion protection. True in production. */
  protect: boolean;
  /** True for the dev stack, which runs on local Docker instead of AWS. */
  isLocal: boolean;
  /** Values that are only ever handled as Pulumi secrets. */
  secrets: Partial<Record<SecretKey, pulumi.Output<string>>>;
  /** What a preview says and goes on with (placeholders, which an update refuses); `loadSettings` logs them. */
  warnings: string[];
};

/** What a stack hands the program: its name, `healthflow:*` values as Pulumi passes them, which are secret. */
export interface RawStackConfig {
  stack: string;
  /** Key without namespace → the string Pulumi passes (JSON for structured values). */
  values: Record<string, string>;
  secretKeys: ReadonlySet<string>;
  /** True for an update (`pulumi up`), false or absent for a preview: some secrets are needed only to deploy. */
  updating?: boolean;
}

/** A bad config: the message lists every problem; the program registers nothing. */
export class ConfigError extends pulumi.RunError {
  constructor(
    message: string,
    readonly problems: ConfigProblem[],
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses and validates a stack's config; throws ConfigError listing every problem. */
export function parseSettings(raw: RawStackConfig): Settings {
  const problems: ConfigProblem[] = [];
  const document: Record<string, unknown> = {};
  const known = Object.keys(configSchema.shape);

  for (const [key, text] of Object.entries(raw.values)) {
    if (key in RENAMED_KEYS) {
      // A renamed key held a secret: its value is never echoed.
      problems.push({ path: [key], value: SECRET_VALUE, message: RENAMED_KEYS[key] });
    } else if (!known.includes(key)) {
      const guess = closest(key, known);
      problems.push({
        path: [key],
        value: text,
        message: `is not a known key${guess ? ` (did you mean ${NAMESPACE}:${guess}?)` : ""}; known keys: ${known.join(", ")}`,
      });
    } else if (text === "" || text === "{}") {
      // Pulumi.yaml's default for a key this kind of stack does not use.
      continue;
    } else if (SCALAR_KEYS.has(key)) {
      document[key] = text;
    } else {
      try {
        document[key] = JSON.parse(text);
      } catch {
        problems.push({
          path: [key],
          value: text,
          message: "must be an object (structured config in the stack file)",
        });
      }
    }
  }
  for (const key of SECRET_KEYS) {
    if (raw.values[key] && !raw.secretKeys.has(`${NAMESPACE}:${key}`)) {
      problems.push({
        path: [key],
        value: SECRET_MARK,
        message: `is stored in plain text; it must be a secret: pulumi config set --secret ${NAMESPACE}:${key} <value>`,
      });
    }
  }
  // cert-manager cannot issue a certificate without it; a preview only warns (components/ingress).
  const environment = raw.values.environment;
  if (raw.updating && environment && environment !== "dev" && !raw.values.cloudflareDnsToken) {
    problems.push({
      path: ["cloudflareDnsToken"],
      value: undefined,
      message: `is required to deploy environment "${environment}" (cert-manager's DNS-01): pulumi config set --secret ${NAMESPACE}:cloudflareDnsToken <token with ${DNS01_TOKEN_SCOPE}>`,
    });
  }

  // The apps cannot send mail, nor a private image be pulled, without these; a preview only warns.
  if (raw.updating && environment && environment !== "dev" && !raw.values.smtpPassword) {
    problems.push({
      path: ["smtpPassword"],
      value: undefined,
      message: `is required to deploy environment "${environment}" (the apps' mail): pulumi config set --secret ${NAMESPACE}:smtpPassword <the SMTP user's password>`,
    });
  }
  if (raw.updating && document.registry !== undefined && !raw.values.registryToken) {
    problems.push({
      path: ["registryToken"],
      value: undefined,
      message: `is required with ${NAMESPACE}:registry (the images' pull credentials): pulumi config set --secret ${NAMESPACE}:registryToken <token with read access to the packages only>`,
    });
  }

  // Production's alerts must reach someone: a null receiver is for the stacks nobody is paged for.
  if (raw.updating) problems.push(...deployAlertingProblems(raw.values, NAMESPACE));

  // Placeholder values (documentation account, TEST-NET ranges, example domains) deploy things
  // that silently do not work: a preview warns, an update refuses.
  const placeholders =
    environment && environment !== "dev"
      ? placeholderProblems(document, new Set(SECRET_KEYS), SECRET_VALUE)
      : [];
  if (raw.updating) problems.push(...placeholders);

  const parsed = configSchema.safeParse(document, { reportInput: true });
  if (parsed.success) {
    problems.push(...crossFieldProblems(parsed.data));
  } else {
    problems.push(...parsed.error.issues.flatMap((issue) => fromZodIssue(issue, document)));
  }
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(formatProblems(raw.stack, problems), problems);
  }

  const {
    alertReceiverSecret,
    alertHeartbeatUrl,
    cloudflareDnsToken,
    registryToken,
    smtpPassword,
    ...config
  } = parsed.data;
  const secret = (value: string | undefined) => (value === undefined ? undefined : pulumi.secret(value));
  return {
    ...config,
    stack: raw.stack,
    protect: config.environment === "production",
    isLocal: config.environment === "dev",
    secrets: {
      alertReceiverSecret: secret(alertReceiverSecret),
      alertHeartbeatUrl: secret(alertHeartbeatUrl),
      cloudflareDnsToken: secret(cloudflareDnsToken),
      registryToken: secret(registryToken),
      smtpPassword: secret(smtpPassword),
    },
    warnings:
      placeholders.length === 0
        ? []
        : [
            formatProblems(raw.stack, placeholders, {
              noun: "placeholder value",
              outcome: "a preview goes on, `pulumi up` refuses to start until each is replaced",
            }),
          ],
  };
}

/** Reads `healthflow:*` from the running Pulumi program's config. */
export function loadSettings(): Settings {
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(`${NAMESPACE}:`)) continue;
    values[fullKey.slice(NAMESPACE.length + 1)] = value;
    if (isConfigSecret(fullKey)) secretKeys.add(fullKey);
  }
  const settings = parseSettings({
    stack: pulumi.getStack(),
    values,
    secretKeys,
    updating: !pulumi.runtime.isDryRun(),
  });
  for (const warning of settings.warnings) pulumi.log.warn(warning);
  return settings;
}

// The SDK knows which keys the CLI passed encrypted (PULUMI_CONFIG_SECRET_KEYS) and exports the
// check at runtime, but marks it internal in its typings.
function isConfigSecret(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  return runtime.isConfigSecret?.(key) ?? false;
}

const SECRET_MARK = Symbol("secret");

function formatValue(value: unknown): string {
  if (value === SECRET_VALUE) return "(a secret, not shown)";
  if (value === SECRET_MARK) return "(a plain-text value, not shown)";
  if (value === undefined) return "(not set)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function formatPath(path: (string | number)[]): string {
  return path.reduce<string>(
    (acc, part) =>
      typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${part}` : `${NAMESPACE}:${part}`,
    "",
  );
}

/** How a list of problems is introduced: what they are, and what happens because of them. */
export interface ProblemsHeading {
  /** Singular noun, e.g. "configuration problem". */
  noun: string;
  /** What follows, e.g. "nothing was created or changed". */
  outcome: string;
  /** Where they were found, e.g. "in AWS account 123456789012 (sa-east-1)". */
  source?: string;
}

/** One message for every problem: stack, key path, bad value, what is allowed. */
export function formatProblems(
  stack: string,
  problems: ConfigProblem[],
  heading: ProblemsHeading = { noun: "configuration problem", outcome: "nothing was created or changed" },
): string {
  const lines = problems
    .map((p) => `  - ${formatPath(p.path)} = ${formatValue(p.value)}: ${p.message}`)
    .sort((a, b) => a.localeCompare(b));
  const count = `${problems.length} ${heading.noun}${problems.length === 1 ? "" : "s"}`;
  return [
    `Stack "${stack}" has ${count}${heading.source ? ` ${heading.source}` : ""}; ${heading.outcome}:`,
    ...lines,
    `Fix them in Pulumi.${stack}.yaml or with \`pulumi config set\`; Pulumi.yaml describes every key.`,
  ].join("\n");
}

function valueAt(document: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, key) =>
      node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined,
    document,
  );
}

/** The keys an object schema allows at `path`, for "did you mean" on unknown keys. */
function allowedKeysAt(path: PropertyKey[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const key of path) {
    while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodObject) schema = schema.shape[key as string];
    if (!schema) return [];
  }
  while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function fromZodIssue(issue: z.core.$ZodIssue, document: unknown): ConfigProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  // A secret's value is never echoed, even when it is malformed.
  const value = (SECRET_KEYS as readonly unknown[]).includes(path[0]) ? SECRET_MARK : valueAt(document, path);
  const problem = (message: string): ConfigProblem[] => [{ path, value, message }];
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = allowedKeysAt(path);
      return issue.keys.map((key) => {
        const guess = closest(key, allowed);
        return {
          path: [...path, key],
          value: valueAt(document, [...path, key]),
          message: `is not a known key${guess ? ` (did you mean ${guess}?)` : ""}; allowed: ${allowed.join(", ")}`,
        };
      });
    }
    case "invalid_type":
      return value === undefined
        ? problem(`is required (${issue.expected})`)
        : problem(`must be ${article(issue.expected)}`);
    case "invalid_value":
      if (value === undefined) {
        return problem(`is required; one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`);
      }
      return issue.values.length === 1 && issue.message && !issue.message.startsWith("Invalid input")
        ? problem(issue.message)
        : problem(`must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`);
    case "too_small":
      return problem(
        issue.origin === "array"
          ? `must have at least ${issue.minimum} item(s)`
          : issue.origin === "string"
            ? "must not be empty"
            : `must be >= ${issue.minimum}`,
      );
    case "too_big":
      return problem(
        issue.origin === "array"
          ? `must have at most ${issue.maximum} item(s)`
          : `must be <= ${issue.maximum}`,
      );
    case "invalid_format":
      return problem(
        issue.format === "regex" || issue.message.startsWith("must")
          ? issue.message
          : `must be a valid ${issue.format}`,
      );
    default:
      return problem(issue.message);
  }
}

function article(expected: string): string {
  if (expected === "int") return "a whole number";
  if (expected === "object") return "an object (a YAML mapping)";
  if (expected === "array") return "a list";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

type OptionalSection =
  | "aws"
  | "network"
  | "cluster"
  | "database"
  | "cache"
  | "storage"
  | "runners"
  | "audit"
  | "local"
  | "ingress";

/**
 * A section that only one kind of stack has. `parseSettings` already refused a stack without the
 * sections its environment needs, so this throws only on a programming error.
 */
export function section<K extends OptionalSection>(settings: Settings, key: K): NonNullable<Settings[K]> {
  const value = settings[key];
  if (value === undefined || value === null) {
    throw new Error(
      `stack "${settings.stack}" has no ${NAMESPACE}:${key} settings (environment ${settings.environment})`,
    );
  }
  return value as NonNullable<Settings[K]>;
}

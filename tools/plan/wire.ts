import { SECRET_SIG, SIG_KEY, UNKNOWN } from "../engine/engine";

// Pulumi's wire encoding of property values, and the two views the plan needs of it.

export type Wire = unknown;

function isSecret(value: Wire): value is { value: Wire } {
  return (
    typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

/**
 * For state.json: a secret keeps its place and its secretness but never its value. It is written
 * as a "decrypted" secret whose plaintext is Pulumi's unknown value, so `pulumi policy analyze
 * --file` reads it as secret(unknown), which is what a policy sees of a generated password in a
 * preview anyway. The state's own `plaintext` field is thus never a secret's text.
 */
export function redactSecrets(value: Wire): Wire {
  if (isSecret(value)) return { [SIG_KEY]: SECRET_SIG, plaintext: JSON.stringify(UNKNOWN) };
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

/** Every leaf replaced by "[secret]", the shape kept (a Secret's data map stays a map). */
function maskLeaves(value: Wire): unknown {
  if (isSecret(value)) return maskLeaves(value.value);
  if (Array.isArray(value)) return value.map(maskLeaves);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskLeaves(v)]));
  }
  return "[secret]";
}

/** For people: secrets as "[secret]", unknowns as "[unknown]", everything else as it is. */
export function display(value: Wire): unknown {
  if (isSecret(value)) return maskLeaves(value.value);
  if (value === UNKNOWN) return "[unknown]";
  if (Array.isArray(value)) return value.map(display);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, display(v)]));
  }
  return value;
}

/** The plain value with secrets unwrapped (for rendering manifests: redacted first by the caller). */
export function unwrap(value: Wire): unknown {
  if (isSecret(value)) return unwrap(value.value);
  if (Array.isArray(value)) return value.map(unwrap);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

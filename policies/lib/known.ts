/**
 * During a preview, values a provider computes at create time are unknown. The analyzer wraps resource
 * properties in a proxy that throws `UnknownValueError` when a rule reads one; the server then reports the
 * rule as "can't run during preview" instead of a violation. These helpers let a rule ask "is this known?"
 * where an unknown value must not abort the whole rule (e.g. a secret that is present but computed).
 */
import { UnknownValueError } from "@pulumi/policy";

export type Known<T> = { known: true; value: T } | { known: false; error: UnknownValueError };

/** Runs `read`; an unknown value becomes `{ known: false }`, any other error propagates. */
export function tryKnown<T>(read: () => T): Known<T> {
  try {
    return { known: true, value: read() };
  } catch (error) {
    if (error instanceof UnknownValueError) {
      return { known: false, error };
    }
    throw error;
  }
}

/**
 * True when `key` holds a value, including one that is unknown during preview. It never reads a known
 * value's content, so a computed secret (e.g. a generated password) counts as set without aborting the rule.
 */
export function isSet(obj: object | undefined | null, key: string): boolean {
  if (obj === undefined || obj === null || !Object.prototype.hasOwnProperty.call(obj, key)) {
    return false;
  }
  const value = tryKnown(() => (obj as Record<string, unknown>)[key]);
  if (!value.known) {
    return true;
  }
  return value.value !== undefined && value.value !== null && value.value !== "";
}

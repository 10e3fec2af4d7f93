// EventBridge's matching of an event against a rule's pattern, for the patterns the program writes:
// each leaf of the pattern is an array of values, and the event matches when, for every field the
// pattern names, the event's value at that path equals one of them; nested objects match field by
// field, and fields the pattern does not name are ignored (EventBridge user guide, "Amazon
// EventBridge event patterns": "the event must contain all the field names listed in the pattern",
// "matching is exact"). Content filters (prefix, anything-but, numeric, ...) are outside this
// subset and refused, so a pattern that uses one cannot pass a test by accident.

type Pattern = { [field: string]: unknown[] | Pattern };

export function matchesEventPattern(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const value = event[field];
    if (Array.isArray(expected)) {
      if (expected.some((v) => typeof v === "object" && v !== null)) {
        throw new Error(`content filter at "${field}": not in this matcher's subset`);
      }
      const values = Array.isArray(value) ? value : [value];
      return values.some((v) => expected.includes(v));
    }
    return (
      typeof value === "object" &&
      value !== null &&
      matchesEventPattern(expected, value as Record<string, unknown>)
    );
  });
}

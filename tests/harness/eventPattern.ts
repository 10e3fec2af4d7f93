// EventBridge's matching of an event against a rule's pattern, for the patterns the program writes:
// each leaf of the pattern is an array of values, and the event matches when, for every field the
// pattern names, the event's value at that path equals one of them; nested objects match field by
// field, and fields the pattern does not name are ignored (EventBridge user guide, "Amazon
// EventBridge event patterns": "the event must contain all the field names listed in the pattern",
// "matching is exact"). Of the content filters only numeric matching is read ("Numeric matching":
// `{ "numeric": [op, n, op, n] }` with <, <=, =, >, >= on a number); the others (prefix,
// anything-but, ...) are outside this subset and refused, so a pattern that uses one cannot pass a
// test by accident.

type Pattern = { [field: string]: unknown[] | Pattern };

export function matchesEventPattern(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const value = event[field];
    if (Array.isArray(expected)) {
      const values = Array.isArray(value) ? value : [value];
      return expected.some((rule) => {
        if (typeof rule !== "object" || rule === null) return values.includes(rule);
        const numeric = (rule as { numeric?: (string | number)[] }).numeric;
        if (!numeric || Object.keys(rule).length !== 1) {
          throw new Error(`content filter at "${field}": not in this matcher's subset`);
        }
        return values.some((v) => typeof v === "number" && numericMatch(numeric, v));
      });
    }
    return (
      typeof value === "object" &&
      value !== null &&
      matchesEventPattern(expected, value as Record<string, unknown>)
    );
  });
}

/** EventBridge's numeric matching: every (operator, bound) pair holds for the value. */
function numericMatch(conditions: (string | number)[], value: number): boolean {
  const test: Record<string, (a: number, b: number) => boolean> = {
    "<": (a, b) => a < b,
    "<=": (a, b) => a <= b,
    "=": (a, b) => a === b,
    ">": (a, b) => a > b,
    ">=": (a, b) => a >= b,
  };
  for (let i = 0; i < conditions.length; i += 2) {
    const op = test[String(conditions[i])];
    if (!op) throw new Error(`numeric operator ${String(conditions[i])}: not in EventBridge's set`);
    if (!op(value, Number(conditions[i + 1]))) return false;
  }
  return true;
}

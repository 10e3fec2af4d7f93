// A reader of CloudWatch Logs JSON filter patterns, for the tests of the audit trail's metric
// filters: a hand-written stand-in for CloudWatch Logs itself (no tool evaluates these offline). It
// reads what the CIS patterns use, as "Filter pattern syntax for metric filters" (CloudWatch Logs user
// guide) defines it: `{ ... }` around comparisons `$.a.b = value`, `!= value` and `NOT EXISTS`,
// joined with `&&` and `||` and grouped with parentheses; a value is quoted or bare, and `*` in it
// matches any run of characters.

type Event = Record<string, unknown>;

function lookup(event: Event, selector: string): unknown {
  return selector
    .replace(/^\$\./, "")
    .split(".")
    .reduce<unknown>(
      (node, key) => (node && typeof node === "object" ? (node as Event)[key] : undefined),
      event,
    );
}

function like(actual: unknown, expected: string): boolean {
  if (actual === undefined || actual === null) return false;
  const pattern = new RegExp(
    `^${expected
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return pattern.test(String(actual));
}

const TOKEN = /\s*(\(|\)|&&|\|\||NOT EXISTS|!=|=|\$[\w.]+|"[^"]*"|[^\s()&|="!]+)/y;

/** Whether a CloudTrail event (as CloudTrail writes it to CloudWatch Logs) matches `pattern`. */
export function matchesFilter(pattern: string, event: Event): boolean {
  const body = /^\s*\{([\s\S]*)\}\s*$/.exec(pattern)?.[1];
  if (body === undefined) throw new Error(`not a JSON filter pattern: ${pattern}`);
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (body.slice(TOKEN.lastIndex).trim() !== "") {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(body);
    if (!m) throw new Error(`cannot read the pattern at "${body.slice(at)}"`);
    tokens.push(m[1]);
  }
  let i = 0;
  const value = (token: string) => (token.startsWith('"') ? token.slice(1, -1) : token);
  const primary = (): boolean => {
    const token = tokens[i++];
    if (token === "(") {
      const result = or();
      if (tokens[i++] !== ")") throw new Error(`unbalanced parentheses in ${pattern}`);
      return result;
    }
    if (!token?.startsWith("$.")) throw new Error(`expected a selector in ${pattern}, got ${token}`);
    const op = tokens[i++];
    const actual = lookup(event, token);
    if (op === "NOT EXISTS") return actual === undefined;
    const expected = value(tokens[i++]);
    if (op === "=") return like(actual, expected);
    if (op === "!=") return !like(actual, expected);
    throw new Error(`unknown operator ${op} in ${pattern}`);
  };
  const and = (): boolean => {
    let result = primary();
    while (tokens[i] === "&&") {
      i++;
      const next = primary();
      result = result && next;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (tokens[i] === "||") {
      i++;
      const next = and();
      result = result || next;
    }
    return result;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`unread tokens in ${pattern}: ${tokens.slice(i).join(" ")}`);
  return result;
}

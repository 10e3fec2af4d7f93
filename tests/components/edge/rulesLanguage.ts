/**
 * A small evaluator of the Cloudflare Rules language subset components/edge/expressions.ts emits
 * (http.host eq/in, the path or lower(path) with starts_with or eq, and/or/not, parentheses, true), so tests check what an
 * expression matches rather than how it is spelt. Anything else is an error, never a silent false.
 */
export function matches(expression: string, request: { host: string; path: string }): boolean {
  const tokens = expression.match(/"(?:[^"\\]|\\.)*"|[(){},]|[A-Za-z_.]+/g) ?? [];
  let i = 0;
  const next = () => tokens[i++];
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`expected ${t} in ${expression}`);
  };
  const string = () => JSON.parse(next());
  /** A string field: the path, or lower() of one. */
  const field = (t = next()): string => {
    if (t === "http.request.uri.path") return request.path;
    if (t !== "lower") throw new Error(`unknown field ${t} in ${expression}`);
    expect("(");
    const value = field();
    expect(")");
    return value.toLowerCase();
  };
  const atom = (): boolean => {
    const t = next();
    if (t === "(") {
      const value = or();
      expect(")");
      return value;
    }
    if (t === "not") return !atom();
    if (t === "true") return true;
    if (t === "starts_with") {
      expect("(");
      const value = field();
      expect(",");
      const prefix = string();
      expect(")");
      return value.startsWith(prefix);
    }
    if (t === "http.request.uri.path" || t === "lower") {
      const value = field(t);
      expect("eq");
      return value === string();
    }
    if (t === "http.host") {
      const op = next();
      if (op === "eq") return request.host === string();
      if (op !== "in") throw new Error(`unknown operator ${op}`);
      expect("{");
      const set: string[] = [];
      while (tokens[i] !== "}") set.push(string());
      expect("}");
      return set.includes(request.host);
    }
    throw new Error(`unexpected ${t} in ${expression}`);
  };
  const and = (): boolean => {
    let value = atom();
    while (tokens[i] === "and") {
      next();
      value = atom() && value;
    }
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (tokens[i] === "or") {
      next();
      value = and() || value;
    }
    return value;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`trailing tokens in ${expression}`);
  return result;
}

/**
 * A small evaluator of the Cloudflare Rules language subset components/edge/expressions.ts emits
 * (http.host eq/in, starts_with or eq on the path, lower() of either field, and/or/not,
 * parentheses, true), so tests check what an expression matches rather than how it is spelt.
 * Comparisons are case-sensitive, as Cloudflare's are; lower() lower-cases ASCII letters. Anything
 * else is an error, never a silent false.
 */
export function matches(
  expression: string,
  request: { host: string; path: string; query?: string },
): boolean {
  const tokens = expression.match(/"(?:[^"\\]|\\.)*"|[(){},]|[A-Za-z_.]+/g) ?? [];
  let i = 0;
  const next = () => tokens[i++];
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`expected ${t} in ${expression}`);
  };
  const string = () => JSON.parse(next());
  // The query as sent: Cloudflare performs no decoding on it.
  const fields: Record<string, string> = {
    "http.host": request.host,
    "http.request.uri.path": request.path,
    "http.request.uri.query": request.query ?? "",
  };
  /** A field, or lower(field): its name and value. */
  const field = (t = next()): { name: string; value: string } => {
    if (t === "lower") {
      expect("(");
      const inner = field();
      expect(")");
      return { name: inner.name, value: inner.value.replace(/[A-Z]/g, (c) => c.toLowerCase()) };
    }
    if (!(t in fields)) throw new Error(`unknown field ${t} in ${expression}`);
    return { name: t, value: fields[t] };
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
    if (t === "starts_with" || t === "ends_with") {
      expect("(");
      const source = field();
      if (source.name === "http.host") throw new Error(`${t} on ${source.name}`);
      expect(",");
      const affix = string();
      expect(")");
      return t === "starts_with" ? source.value.startsWith(affix) : source.value.endsWith(affix);
    }
    const subject = field(t);
    const op = next();
    if (op === "eq") return subject.value === string();
    if (op === "contains") return subject.value.includes(string());
    // A set of values: the host only (the expressions never test a path against a set).
    if (op !== "in" || subject.name !== "http.host")
      throw new Error(`unknown operator ${op} on ${subject.name}`);
    expect("{");
    const set: string[] = [];
    while (tokens[i] !== "}") set.push(string());
    expect("}");
    return set.includes(subject.value);
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

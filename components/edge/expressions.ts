// Cloudflare Rules language expressions (the Wireshark-like filter syntax of every ruleset),
// built from values instead of pasted as strings: a host or path from settings is quoted and
// escaped once, here, and an empty host list is an error rather than a rule matching nothing.

/** A Rules language string literal: double quotes, with `"` and `\` escaped. */
export function quote(value: string): string {
  if ([...value].some((c) => c.charCodeAt(0) < 0x20))
    throw new Error(`${JSON.stringify(value)} contains a control character`);
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The request's Host is one of `hosts` (`eq` for one, an `in` set for several; sorted, deduplicated). */
export function hostIn(hosts: readonly string[]): string {
  const unique = [...new Set(hosts.map((h) => h.toLowerCase()))].sort();
  if (unique.length === 0) throw new Error("hostIn needs at least one host");
  return unique.length === 1
    ? `http.host eq ${quote(unique[0])}`
    : `http.host in {${unique.map(quote).join(" ")}}`;
}

/** The path starts with `prefix`, as an nginx prefix `location` matches. */
export function pathStartsWith(prefix: string): string {
  if (!prefix.startsWith("/")) throw new Error(`path prefix ${JSON.stringify(prefix)} must start with /`);
  return `starts_with(http.request.uri.path, ${quote(prefix)})`;
}

/** Every one of the terms (each parenthesised, so precedence never depends on what they contain). */
export function allOf(...terms: string[]): string {
  if (terms.length === 0) throw new Error("allOf needs at least one term");
  return terms.length === 1 ? terms[0] : terms.map((t) => `(${t})`).join(" and ");
}

/** Any of the terms. */
export function anyOf(...terms: string[]): string {
  if (terms.length === 0) throw new Error("anyOf needs at least one term");
  return terms.length === 1 ? terms[0] : terms.map((t) => `(${t})`).join(" or ");
}

/** The term does not hold. */
export function not(term: string): string {
  return `not (${term})`;
}

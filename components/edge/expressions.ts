// Cloudflare Rules language expressions (the Wireshark-like filter syntax of every ruleset),
// built from values instead of pasted as strings: a host or path from settings is quoted and
// escaped once, here, and an empty host list is an error rather than a rule matching nothing.
//
// String comparison in the Rules language is case-sensitive ("by default, string evaluation is
// case-sensitive": developers.cloudflare.com/ruleset-engine/rules-language/functions,
// Transformation functions). Hostnames are case-insensitive (RFC 4343) and NestJS on Express
// routes paths case-insensitively, so `Host: API.example.com` or `/API/V1/AUTH/login` reach the
// same code as their lower-case spelling; a term that compares the raw field would let them
// bypass the rule. Such terms compare `lower(field)` with a lower-case literal.

/** A Rules language string literal: double quotes, with `"` and `\` escaped. */
export function quote(value: string): string {
  if ([...value].some((c) => c.charCodeAt(0) < 0x20))
    throw new Error(`${JSON.stringify(value)} contains a control character`);
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The field, lower-cased by Cloudflare before it is compared (`lower()` converts ASCII A-Z). */
export function lower(field: string): string {
  return `lower(${field})`;
}

/**
 * The request's Host is one of `hosts`, in any letter case (`eq` for one, an `in` set for several;
 * sorted, deduplicated).
 */
export function hostIn(hosts: readonly string[]): string {
  const unique = [...new Set(hosts.map((h) => h.toLowerCase()))].sort();
  if (unique.length === 0) throw new Error("hostIn needs at least one host");
  return unique.length === 1
    ? `${lower("http.host")} eq ${quote(unique[0])}`
    : `${lower("http.host")} in {${unique.map(quote).join(" ")}}`;
}

/**
 * The path starts with `prefix`, as an nginx prefix `location` matches. `caseInsensitive` for paths
 * the app serves whatever their case (NestJS's routes); leave it off where the app compares case
 * (socket.io's `/socket.io`, Next.js's hashed asset names), so a differently spelt path never
 * borrows that rule's exemption.
 */
export function pathStartsWith(prefix: string, options: { caseInsensitive?: boolean } = {}): string {
  if (!prefix.startsWith("/")) throw new Error(`path prefix ${JSON.stringify(prefix)} must start with /`);
  const path = "http.request.uri.path";
  return options.caseInsensitive
    ? `starts_with(${lower(path)}, ${quote(prefix.toLowerCase())})`
    : `starts_with(${path}, ${quote(prefix)})`;
}

/**
 * The raw query string holds the argument `name=value` exactly, as a whole `&`-separated pair:
 * `http.request.uri.query` is the query as sent, "no decoding performed" (the field's reference),
 * and "Query" is a field rate limiting rules may use on Pro (Cloudflare docs, rate limiting rules,
 * availability). `x=transport=websocket` or `transport=websocketX` are not the pair.
 */
export function queryHasArgument(name: string, value: string): string {
  const pair = `${name}=${value}`;
  const query = "http.request.uri.query";
  return anyOf(
    `${query} eq ${quote(pair)}`,
    `starts_with(${query}, ${quote(`${pair}&`)})`,
    `ends_with(${query}, ${quote(`&${pair}`)})`,
    `${query} contains ${quote(`&${pair}&`)}`,
  );
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

// Reads an nginx.conf back into directives, so tests assert on structure (which server, which
// location, which arguments) rather than on text that formatting could change.

/** One directive: `name arg1 arg2;` or `name args { block }`. Quoted arguments come unquoted. */
export interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

function tokens(text: string): string[] {
  const found: string[] = [];
  const token = /\s+|#[^\n]*|'((?:\\.|[^'\\])*)'|"((?:\\.|[^"\\])*)"|([{};])|([^\s{};'"#][^\s{};]*)/y;
  let match: RegExpExecArray | null;
  while (token.lastIndex < text.length && (match = token.exec(text))) {
    const [, single, double, punctuation, bare] = match;
    const value = single ?? double ?? punctuation ?? bare;
    if (value !== undefined) found.push(single !== undefined || double !== undefined ? `\0${value}` : value);
  }
  if (token.lastIndex < text.length)
    throw new Error(`cannot read nginx.conf at: ${text.slice(token.lastIndex, token.lastIndex + 40)}`);
  return found;
}

/** The directives of an nginx.conf; throws on unbalanced braces or a missing `;`. */
export function parseConf(text: string): Directive[] {
  const list = tokens(text);
  let at = 0;
  const unquote = (t: string) => (t.startsWith("\0") ? t.slice(1) : t);
  const parseBlock = (closing: boolean): Directive[] => {
    const directives: Directive[] = [];
    while (at < list.length && list[at] !== "}") {
      const name = list[at++];
      const args: string[] = [];
      while (at < list.length && list[at] !== ";" && list[at] !== "{") args.push(unquote(list[at++]));
      if (list[at] === ";") {
        at++;
        directives.push({ name, args });
      } else if (list[at] === "{") {
        at++;
        directives.push({ name, args, block: parseBlock(true) });
      } else {
        throw new Error(`directive "${name}" has no ";"`);
      }
    }
    if (closing && list[at++] !== "}") throw new Error("a block is not closed");
    if (!closing && at < list.length) throw new Error('an unexpected "}"');
    return directives;
  };
  return parseBlock(false);
}

/** The directives named `name` among these. */
export function all(directives: Directive[], name: string): Directive[] {
  return directives.filter((d) => d.name === name);
}

/** The arguments of the one directive named `name`, joined by spaces; fails when it is not exactly one. */
export function value(directives: Directive[], name: string): string {
  const found = all(directives, name);
  if (found.length !== 1) throw new Error(`expected one "${name}", found ${found.length}`);
  return found[0].args.join(" ");
}

/** The block of the one directive `name args...` (e.g. "location", "/socket.io"). */
export function blockOf(directives: Directive[], name: string, ...args: string[]): Directive[] {
  const found = directives.filter((d) => d.name === name && d.args.join(" ") === args.join(" "));
  if (found.length !== 1 || !found[0].block)
    throw new Error(`expected one "${[name, ...args].join(" ")} { }", found ${found.length}`);
  return found[0].block;
}

/** The server block whose server_name is `host`. */
export function serverFor(conf: Directive[], host: string): Directive[] {
  const servers = all(blockOf(conf, "http"), "server").filter((s) => value(s.block!, "server_name") === host);
  if (servers.length !== 1) throw new Error(`expected one server for ${host}, found ${servers.length}`);
  return servers[0].block!;
}

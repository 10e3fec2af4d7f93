// A few lines of structure for writing nginx.conf as code that still looks like nginx.conf:
// a nested array is one indentation level deeper.

/** One line of an nginx.conf, or a nested list of lines one level deeper. */
export type ConfLine = string | ConfLine[];

/** `head { ...body }` with the body indented. */
export function block(head: string, body: ConfLine[]): ConfLine[] {
  return [`${head} {`, body, "}"];
}

/** The file's text: four spaces per level, no trailing blanks, one final newline. */
export function printConf(lines: ConfLine[]): string {
  const flat = (items: ConfLine[], depth: number): string[] =>
    items.flatMap((item) =>
      Array.isArray(item) ? flat(item, depth + 1) : [item === "" ? "" : "    ".repeat(depth) + item],
    );
  return flat(lines, 0).join("\n") + "\n";
}

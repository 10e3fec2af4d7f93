/**
 * The rows of a markdown table in `text` as trimmed cells, without the empty ones outside the outer
 * pipes, so the column padding prettier adds does not matter. `prefix` picks the rows (every line
 * starting with "|" by default: header and separator included).
 */
export function tableRows(text: string, prefix = "|"): string[][] {
  return text
    .split("\n")
    .filter((line) => line.startsWith(prefix))
    .map((line) =>
      line
        .trim()
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
}

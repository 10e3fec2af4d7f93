// A Stryker reporter (stryker.config.mjs): writes each survivor to `reports/mutation/<run>.survivors.txt`
// the moment it is found, a line each (where, which mutator, the code and what it became), so a long
// run can be triaged while it goes on; the HTML report comes only at its end.
import * as fs from "fs";
import * as path from "path";
import { declareClassPlugin, PluginKind } from "@stryker-mutator/api/plugin";

/** Mutants no test noticed: survived, or reached by no test at all. */
const UNNOTICED = new Set(["Survived", "NoCoverage"]);

/** One survivor's line: `file:line:column mutator "code" -> "replacement" (status)`. */
export function survivorLine(result, source, root) {
  // The report's locations: lines and columns from 1 (mutation-testing-report-schema; Stryker's
  // toSchemaLocation converts its own zero-based ones before reporters see them).
  const { start, end } = result.location;
  const lines = source.split("\n");
  const code =
    start.line === end.line
      ? lines[start.line - 1].slice(start.column - 1, end.column - 1)
      : [
          lines[start.line - 1].slice(start.column - 1),
          ...lines.slice(start.line, end.line - 1),
          lines[end.line - 1].slice(0, end.column - 1),
        ].join("\n");
  const short = (text) => JSON.stringify(text.length > 160 ? `${text.slice(0, 157)}...` : text);
  const file = path.relative(root, result.fileName).replaceAll("\\", "/");
  return `${file}:${start.line}:${start.column} ${result.mutatorName} ${short(code)} -> ${short(result.replacement)} (${result.status})`;
}

export class SurvivorsReporter {
  constructor() {
    this.file = process.env.HEALTHFLOW_MUTATION_SURVIVORS;
    this.sources = new Map();
    if (this.file) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(this.file, "");
    }
  }

  onMutantTested(result) {
    if (!this.file || !UNNOTICED.has(result.status)) return;
    if (!this.sources.has(result.fileName))
      this.sources.set(result.fileName, fs.readFileSync(result.fileName, "utf8"));
    fs.appendFileSync(
      this.file,
      survivorLine(result, this.sources.get(result.fileName), process.cwd()) + "\n",
    );
  }
}

export const strykerPlugins = [
  declareClassPlugin(PluginKind.Reporter, "healthflow-survivors", SurvivorsReporter),
];

import * as fs from "fs";
import * as path from "path";
import * as YAML from "js-yaml";
import { PROJECT_ROOT } from "../../../tools/engine/stackConfig";

// Helm ignores a values key the chart does not know: a misspelt key is a setting that never
// happens. This walks the values a program sets against the chart's own values.yaml.

/** The vendored values.yaml of a chart version (charts/<chart>/<version>/values.yaml), parsed. */
export function vendoredValues(chart: string, version: string): unknown {
  const file = path.join(PROJECT_ROOT, "charts", chart, version, "values.yaml");
  if (!parsed.has(file)) parsed.set(file, YAML.load(fs.readFileSync(file, "utf8")));
  return parsed.get(file);
}
const parsed = new Map<string, unknown>();

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Every key path of `values` the chart does not declare. A key whose default is an empty map
 * (`resources: {}`, `storageSpec: {}`) or null is free-form: anything below it is accepted, and so
 * is anything below a path listed in `passthrough` (a subchart's own keys). Lists are leaves.
 */
export function unknownKeyPaths(values: unknown, defaults: unknown, passthrough: string[] = []): string[] {
  const problems: string[] = [];
  const walk = (value: unknown, declared: unknown, at: string[]) => {
    if (!isMap(value)) return;
    if (declared === null || (isMap(declared) && Object.keys(declared).length === 0)) return;
    for (const [key, child] of Object.entries(value)) {
      const keyPath = [...at, key];
      if (passthrough.includes(keyPath.join("."))) continue;
      if (!isMap(declared) || !(key in declared)) {
        problems.push(keyPath.join("."));
        continue;
      }
      walk(child, declared[key], keyPath);
    }
  };
  walk(values, defaults, []);
  return problems;
}

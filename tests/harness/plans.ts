import * as fs from "fs";
import * as path from "path";
import type { PlanResult } from "../../tools/plan/index";
import type { ProgramRun } from "../../tools/engine/engine";

// Every stack's plan, computed once per test run by the global setup (tests/harness/globalSetup.ts)
// and read here by any test that needs the stack as its files declare it. Tests that change
// config still run the program themselves.

/**
 * Where the global setup leaves the plans (a folder of their own for each project state, never
 * written once complete: tests/harness/planCache.ts), passed to the test workers through the
 * environment.
 */
export const PLANS_DIR_VARIABLE = "HEALTHFLOW_TEST_PLANS_DIR";

/** A value and everything in it made read-only: one parsed copy is shared by every test of a file. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** What this test file has read already: each plan is several megabytes of JSON. */
const parsed = new Map<string, unknown>();

const read = <T>(file: string): T => {
  if (parsed.has(file)) return parsed.get(file) as T;
  const dir = process.env[PLANS_DIR_VARIABLE];
  if (!dir)
    throw new Error(
      `${PLANS_DIR_VARIABLE} is not set: run the tests through jest (its global setup plans every stack)`,
    );
  const full = path.join(dir, file);
  if (!fs.existsSync(full))
    throw new Error(`${full} is missing: run the tests through jest (its global setup plans every stack)`);
  const value = deepFreeze(JSON.parse(fs.readFileSync(full, "utf8")) as T);
  parsed.set(file, value);
  return value;
};

/** The offline plan of a stack's own files: exit code, printed output, files under `dir`, the run. */
export function plannedStack(stack: string): PlanResult & { run: ProgramRun; dir: string } {
  return read(`${stack}.plan.json`);
}

/** The stack's program run as a preview (computed values unknown). */
export function plannedRun(stack: string): ProgramRun {
  return plannedStack(stack).run;
}

/** The stack's program run with plausible computed values, as after an update. */
export function knownRun(stack: string): ProgramRun {
  return read(`${stack}.known.json`);
}

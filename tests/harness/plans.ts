import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlanResult } from "../../tools/plan/index";
import type { ProgramRun } from "./engine";
import { PROJECT_ROOT } from "./stackConfig";

// Every stack's plan, computed once per test run by the global setup (tests/harness/globalSetup.ts)
// and read here by any test that needs the stack as its files declare it. Tests that change
// config still run the program themselves.

/** Where the global setup leaves the plans: one folder per checkout, so clones never mix. */
export const PLANS_DIR = path.join(
  os.tmpdir(),
  `healthflow-plans-${Buffer.from(PROJECT_ROOT).toString("base64url").slice(-24)}`,
);

const read = <T>(file: string): T => {
  const full = path.join(PLANS_DIR, file);
  if (!fs.existsSync(full))
    throw new Error(`${full} is missing: run the tests through jest (its global setup plans every stack)`);
  return JSON.parse(fs.readFileSync(full, "utf8")) as T;
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

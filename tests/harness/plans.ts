import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { PlanResult } from "../../tools/plan/index";
import type { ProgramRun } from "../../tools/engine/engine";
import { inMutationRun, readPlanCoverage, type MutantHits } from "./mutation";

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

/**
 * A mutation run's plan of `stack`, made when a test first reads it (the global setup plans nothing
 * then: most mutants' tests read no plan). Tests read plans synchronously, so a child process asks
 * the program server and waits.
 */
function planForMutant(stack: string, dir: string): void {
  // Loaded here: the program's engine comes with it, which tests that only read plans do not need.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { serverSocket } = require("./programs") as typeof import("./programs");
  const socket = serverSocket();
  if (!socket)
    throw new Error("a mutation run needs the program servers (HEALTHFLOW_TEST_IN_PROCESS is set)");
  const request = JSON.stringify({ kind: "setup", stack, options: {}, plansDir: dir });
  const asked = spawnSync(process.execPath, ["-e", ASK, socket, request], { encoding: "utf8" });
  if (asked.status !== 0)
    throw new Error(`planning ${stack} for this mutant failed: ${asked.stdout}${asked.stderr}`);
}

/** A program server's answer to one request, printed when it fails (tests/harness/programServer.ts). */
const ASK = `
const socket = require("net").createConnection(process.argv[1]);
let text = "";
socket.setEncoding("utf8");
socket.on("data", (chunk) => (text += chunk));
socket.on("error", (e) => { console.log(e.message); process.exit(1); });
socket.on("close", () => {
  const response = JSON.parse(text);
  if (!response.ok) { console.log(response.error.message); process.exit(1); }
});
socket.end(process.argv[2] + "\\n");
`;

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
  if (!fs.existsSync(full) && inMutationRun()) planForMutant(file.split(".")[0], dir);
  if (!fs.existsSync(full))
    throw new Error(`${full} is missing: run the tests through jest (its global setup plans every stack)`);
  const value = deepFreeze(JSON.parse(fs.readFileSync(full, "utf8")) as T);
  parsed.set(file, value);
  // Under mutation testing: what making this plan reached counts as reached by the tests that read it.
  const coverage = path.join(dir, `${file.split(".")[0]}.coverage.json`);
  if (fs.existsSync(coverage))
    readPlanCoverage(coverage, JSON.parse(fs.readFileSync(coverage, "utf8")) as MutantHits);
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

import * as fs from "fs";
import type { Config } from "jest";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT, stackNames } from "../../tools/engine/stackConfig";
import { creditingPlans, inMutationRun } from "./mutation";
import { cachedPlans, inputsDigest, keepPlans, newPlans } from "./planCache";
import { PLANS_DIR_VARIABLE } from "./plans";
import {
  ask,
  SERVERS_VARIABLE,
  startProgramServers,
  stopProgramServers,
  writeSetupPlans,
  type StartedServers,
} from "./programs";

/** What the teardown stops and removes: the program servers this run started, and their sockets. */
export const SERVERS_KEY = Symbol.for("healthflow.programServers");

/**
 * Where a mutation run's plans are (tests/harness/mutation.ts). Where plans count as reaching the
 * mutants (components/), each mutant's run plans afresh, in a folder the teardown removes. Elsewhere
 * the plans are those of the code with no mutant active: made in Stryker's first run and kept in the
 * sandbox for every later one (a test that calls the mutated code itself is what counts there).
 */
function mutationPlans(): string {
  if (creditingPlans()) return fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-plans-"));
  const dir = path.join(PROJECT_ROOT, ".mutation", "plans");
  if (!process.env.__STRYKER_ACTIVE_MUTANT__) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Starts one program server per jest worker (tests/harness/programs.ts) and has them plan every
 * stack, in parallel, for the whole test run (tests/harness/plans.ts reads the plans), unless a
 * run of the same project state left its plans (tests/harness/planCache.ts).
 */
export default async function globalSetup(config: { maxWorkers?: number } & Config): Promise<void> {
  const mutation = inMutationRun();
  const digest = mutation ? "" : inputsDigest();
  const cached = mutation ? undefined : cachedPlans(digest);
  const PLANS_DIR = cached ?? (mutation ? mutationPlans() : newPlans(digest));
  // Test workers start after this and inherit the environment.
  process.env[PLANS_DIR_VARIABLE] = PLANS_DIR;
  // A mutation run plans a stack when a test first reads it (tests/harness/plans.ts).
  const stacks = cached || mutation ? [] : stackNames();
  if (process.env.HEALTHFLOW_TEST_IN_PROCESS === "1") {
    for (const stack of stacks) await writeSetupPlans(stack, PLANS_DIR);
    if (!cached && inputsDigest() === digest) keepPlans(digest, PLANS_DIR);
    return;
  }
  const sockets = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-programs-"));
  const servers = await startProgramServers(Math.max(1, config.maxWorkers ?? 1), sockets);
  const perMutant = mutation && creditingPlans();
  const started: StartedServers = {
    children: servers.children,
    sockets,
    ...(perMutant ? { plans: PLANS_DIR } : {}),
  };
  (globalThis as Record<symbol, unknown>)[SERVERS_KEY] = started;
  process.env[SERVERS_VARIABLE] = servers.sockets.join(":");
  // The stacks dealt out to the servers, the largest stack files (the longest plans) first.
  const size = (stack: string) => fs.statSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`)).size;
  const order = [...stacks].sort((a, b) => size(b) - size(a));
  const queues = servers.sockets.map((socket, i) =>
    order
      .filter((_, n) => n % servers.sockets.length === i)
      .reduce(
        (previous, stack) =>
          previous.then(() => ask(socket, { kind: "setup", stack, options: {}, plansDir: PLANS_DIR })),
        Promise.resolve<unknown>(undefined),
      ),
  );
  // Jest runs no teardown after a setup that throws: the servers are stopped here then.
  await Promise.all(queues).catch(async (e: unknown) => {
    await stopProgramServers(started);
    throw e;
  });
  // Kept only when no input changed while the servers planned (a branch switched mid-run).
  if (!mutation && !cached && inputsDigest() === digest) keepPlans(digest, PLANS_DIR);
}

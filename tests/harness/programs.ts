import { fork, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { ProgramError, runProgram as runInProcess } from "../../tools/engine/engine";
import type { ProgramRun, RegisteredResource, RunOptions } from "../../tools/engine/engine";
import { PROJECT_ROOT } from "../../tools/engine/stackConfig";
import { planNodeFlags } from "../../tools/planScript";
import type { PlanOptions, PlanResult } from "../../tools/plan/index";
import { creditCoverage, type MutantHits } from "./mutation";

// The program (and its offline plan) as the tests run it with changed config: in a program server
// (tests/harness/programServer.ts) that keeps the Pulumi SDKs loaded, one per jest worker, started
// by the global setup. Same engine, same answers; a run costs about 0.5 s there instead of the 2.3 s
// jest needs to load the SDKs into each test file's module registry again.
//
// HEALTHFLOW_TEST_IN_PROCESS=1 runs everything inside the test process instead (what a tool that
// instruments the code jest loads, such as a coverage or mutation run, needs).

/** The servers' sockets, `:`-separated, as the global setup passes them to the test workers. */
export const SERVERS_VARIABLE = "HEALTHFLOW_PROGRAM_SERVERS";

/**
 * Provider answers named by where they come from, since functions cannot cross to the server: the
 * module (absolute path) and its export, a function called with `args` that returns the answers.
 */
export interface AnswersFrom {
  module: string;
  export: string;
  args: unknown[];
}

/** The engine's options, with changed provider answers named instead of passed. */
export type ProgramOptions = Omit<RunOptions, "invokes"> & { invokesFrom?: AnswersFrom };

export type ProgramRequest =
  | { kind: "run"; stack: string; options: ProgramOptions }
  | { kind: "plan"; stack: string; options: ProgramOptions & Omit<PlanOptions, "invokes"> }
  | { kind: "setup"; stack: string; options: ProgramOptions; plansDir: string };

/** An error as data: what a test reads of it. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  problems?: unknown;
  cause?: WireError;
  resources?: RegisteredResource[];
}

/** An answer; `coverage` is what the server's instrumented code reached, under mutation testing. */
export type ProgramResponse = ({ ok: true; value: unknown } | { ok: false; error: WireError }) & {
  log: string;
  coverage?: MutantHits;
};

/** The engine's options for `options`: the answers it names loaded from their module. */
export function engineOptions<T extends ProgramOptions>(options: T): Omit<T, "invokesFrom"> & RunOptions {
  const { invokesFrom, ...rest } = options;
  if (!invokesFrom) return rest;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const answers = require(invokesFrom.module)[invokesFrom.export];
  if (typeof answers !== "function")
    throw new Error(`${invokesFrom.module} exports no function ${invokesFrom.export}`);
  return { ...rest, invokes: answers(...invokesFrom.args) };
}

/** The error the engine threw, rebuilt: a ProgramError whose cause keeps its name and message. */
function rebuilt(wire: WireError): Error {
  if (wire.name === "ProgramError" && wire.cause)
    return new ProgramError(rebuilt(wire.cause), wire.resources ?? []);
  const error = Object.assign(
    new Error(wire.message),
    wire.problems !== undefined ? { problems: wire.problems } : {},
  );
  error.name = wire.name;
  error.stack = `${wire.name}: ${wire.message}\n    (in the program server)${wire.stack?.slice(wire.stack.indexOf("\n")) ?? ""}`;
  return error;
}

/**
 * What the global setup leaves in `dir` for every test (tests/harness/plans.ts reads both): the plan
 * of the stack's own files, and its run with computed values known. Run by a program server, or in
 * the setup's own process with HEALTHFLOW_TEST_IN_PROCESS=1.
 */
export async function writeSetupPlans(stack: string, dir: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { planStack: plan } = require("../../tools/plan/index") as typeof import("../../tools/plan/index");
  fs.writeFileSync(path.join(dir, `${stack}.plan.json`), JSON.stringify(await plan(stack, { outRoot: dir })));
  const known = await runInProcess(stack, { computed: "known" });
  fs.writeFileSync(path.join(dir, `${stack}.known.json`), JSON.stringify(known));
}

/** This worker's server: jest numbers its workers from 1. */
export function serverSocket(): string | undefined {
  if (process.env.HEALTHFLOW_TEST_IN_PROCESS === "1") return undefined;
  const sockets = process.env[SERVERS_VARIABLE]?.split(":").filter(Boolean);
  if (!sockets?.length) return undefined;
  const worker = Number(process.env.JEST_WORKER_ID ?? "1");
  return sockets[(worker - 1) % sockets.length];
}

/** Sends one request and waits for its answer; a server that is gone is a clear error. */
export function ask(socketPath: string, request: ProgramRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", (e) =>
      reject(
        new Error(`the program server at ${socketPath} did not answer (${e.message}); see its output above`),
      ),
    );
    socket.on("close", () => {
      if (!text.endsWith("\n"))
        return reject(new Error(`the program server at ${socketPath} closed without an answer`));
      const response = JSON.parse(text) as ProgramResponse;
      if (response.log && process.env.HEALTHFLOW_TEST_PROGRAM_LOG === "1") process.stderr.write(response.log);
      creditCoverage(response.coverage);
      if (response.ok) resolve(response.value);
      else reject(rebuilt(response.error));
    });
    socket.end(JSON.stringify(request) + "\n");
  });
}

/** Runs the program for `stack` (see tools/engine/engine.ts runProgram). */
export async function runProgram(stack: string, options: ProgramOptions = {}): Promise<ProgramRun> {
  const socket = serverSocket();
  if (!socket) return runInProcess(stack, engineOptions(options));
  return (await ask(socket, { kind: "run", stack, options })) as ProgramRun;
}

/** The offline plan of `stack` (see tools/plan/index.ts planStack). */
export async function planStack(
  stack: string,
  options: ProgramOptions & Omit<PlanOptions, "invokes"> = {},
): Promise<PlanResult> {
  const socket = serverSocket();
  if (!socket) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const plan = require("../../tools/plan/index") as typeof import("../../tools/plan/index");
    return plan.planStack(stack, engineOptions(options));
  }
  return (await ask(socket, { kind: "plan", stack, options })) as PlanResult;
}

const SERVER = path.join(__dirname, "programServer.ts");
const TS_HOOK = path.join(PROJECT_ROOT, "tools", "ts-hook.js");

/** Starts `count` program servers with their sockets in `dir`; resolves once each listens. */
export async function startProgramServers(
  count: number,
  dir: string,
): Promise<{ sockets: string[]; children: ChildProcess[] }> {
  const sockets = Array.from({ length: count }, (_, i) => path.join(dir, `program-${i + 1}.sock`));
  // The offline plan's own V8 flags (no stack captured per resource, a young generation sized for a
  // program that keeps what it allocates): the servers do the same work.
  const flags = planNodeFlags();
  const children = sockets.map((socket) =>
    fork(SERVER, [socket], {
      execArgv: [...flags, "-r", TS_HOOK],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  await Promise.all(
    children.map(
      (child, i) =>
        new Promise<void>((resolve, reject) => {
          child.once("message", () => resolve());
          child.once("exit", (code) =>
            reject(new Error(`program server ${sockets[i]} exited (${code}) before listening`)),
          );
        }),
    ),
  );
  return { sockets, children };
}

/** What the global setup started: the servers and the folder of their sockets. */
export interface StartedServers {
  children: ChildProcess[];
  sockets: string;
  /** A mutation run's plans, made for one mutant only: removed with the servers. */
  plans?: string;
}

/** Stops the servers and removes their sockets (the teardown, or a setup that failed half-way). */
export async function stopProgramServers(started: StartedServers): Promise<void> {
  await Promise.all(
    started.children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill();
        }),
    ),
  );
  fs.rmSync(started.sockets, { recursive: true, force: true });
  if (started.plans) fs.rmSync(started.plans, { recursive: true, force: true });
}

// One program server: a plain Node process (the TypeScript hook of the offline tools) that keeps the
// Pulumi SDKs loaded and runs the program, or its offline plan, on request from a jest worker.
//
// Why: under jest every run of the program loads the SDKs again into the test file's module
// registry, about 2.3 s a run; here the SDKs stay loaded and only the project's own modules are
// read again (tools/engine/engine.ts, as the offline plan does), about 0.5 s a run. The engine is
// the same one the plan and the in-process path use; only where it runs differs.
//
// Started by tests/harness/programs.ts (one per jest worker, from the global setup), it listens on
// the Unix socket named by its first argument, answers one request per connection (a JSON line in,
// a JSON line out), runs requests one at a time (Pulumi's runtime is one global per process), and
// exits when its parent goes away.
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { PlanOptions } from "../../tools/plan/index";
import { takeCoverage } from "./mutation";
import type { ProgramRequest, ProgramResponse, WireError } from "./programs";

const socketPath = process.argv[2];
if (!socketPath) {
  process.stderr.write("usage: programServer.ts <socket path>\n");
  process.exit(2);
}

/** Sends what `work` prints (the program's warnings) to `log` instead of this process's output. */
async function capturingOutput<T>(work: () => Promise<T>, log: string[]): Promise<T> {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      log.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    }) as typeof stream.write;
  }
  try {
    return await work();
  } finally {
    streams.forEach((stream, i) => (stream.write = originals[i]));
  }
}

/** An error as plain data: its class name, message and the fields tests read (problems, resources). */
function wireError(e: unknown): WireError {
  const error = e as Error & { cause?: unknown; resources?: WireError["resources"]; problems?: unknown };
  return {
    name: error?.name ?? "Error",
    message: error?.message ?? String(e),
    stack: error?.stack,
    ...(error?.problems !== undefined ? { problems: error.problems } : {}),
    ...(error?.name === "ProgramError" ? { cause: wireError(error.cause), resources: error.resources } : {}),
  };
}

async function handle(request: ProgramRequest): Promise<unknown> {
  // Loaded on the first request (a mutation run starts servers its tests may never ask).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { engineOptions, writeSetupPlans } = require("./programs") as typeof import("./programs");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { planStack } = require("../../tools/plan/index") as typeof import("../../tools/plan/index");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runProgram } = require("../../tools/engine/engine") as typeof import("../../tools/engine/engine");
  const options = engineOptions(request.options);
  switch (request.kind) {
    case "run":
      return runProgram(request.stack, options);
    case "plan":
      return planStack(request.stack, options as PlanOptions);
    case "setup": {
      // Under mutation testing, what planning reached is kept beside the plans (tests/harness/mutation.ts).
      takeCoverage();
      await writeSetupPlans(request.stack, request.plansDir);
      const hits = takeCoverage();
      if (hits)
        fs.writeFileSync(path.join(request.plansDir, `${request.stack}.coverage.json`), JSON.stringify(hits));
      return null;
    }
  }
}

let queue: Promise<unknown> = Promise.resolve();

// Half-open: a client ends its side once it has sent its request, and the answer must still be
// writable when the program waited on real I/O (a loopback stand-in) before it was ready.
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
    const end = text.indexOf("\n");
    if (end < 0) return;
    let request: ProgramRequest;
    try {
      request = JSON.parse(text.slice(0, end)) as ProgramRequest;
    } catch (e) {
      const error: WireError = { name: "Error", message: `not a request: ${(e as Error).message}` };
      socket.end(JSON.stringify({ ok: false, error, log: "" } satisfies ProgramResponse) + "\n");
      return;
    }
    queue = queue.then(async () => {
      const log: string[] = [];
      let response: ProgramResponse;
      try {
        const value = await capturingOutput(() => handle(request), log);
        response = { ok: true, value, log: log.join(""), coverage: takeCoverage() };
      } catch (e) {
        response = { ok: false, error: wireError(e), log: log.join(""), coverage: takeCoverage() };
      }
      socket.end(JSON.stringify(response) + "\n");
    });
  });
  socket.on("error", () => socket.destroy());
});

fs.rmSync(socketPath, { force: true });
server.listen(socketPath, () => process.send?.("listening"));
// The jest run that started this server has ended (or died): nothing will ask again.
process.on("disconnect", () => process.exit(0));
// What a program leaves failing after its run is said, and the server goes on serving the others.
for (const event of ["uncaughtException", "unhandledRejection"] as const)
  process.on(event, (e: unknown) =>
    process.stderr.write(`program server: ${event}: ${(e as Error)?.stack ?? e}\n`),
  );

// `npm run plan -- <stack>`: the offline plan of one stack (see tools/plan/index.ts).
//
// package.json runs it with two V8 flags. --stack-trace-limit=0: the SDK would otherwise capture a
// stack per promise. --max-semi-space-size=8: the plan keeps nearly everything it allocates, so a
// young generation larger than 8 MB only makes each scavenge copy more survivors; Node 22 caps it
// there, Node 24 lets it grow to 32 MB, which cost Node 24 about 0.3 s of a 2 s plan (measured with
// `npm run bench:plan`, whose floors run with the same flags).
import { readStackConfig, stackNames, UsageError } from "./engine/stackConfig";

async function main(): Promise<number> {
  const stack = process.argv[2];
  if (!stack || process.argv.length > 3) {
    process.stderr.write(`Usage: npm run plan -- <stack>   (stacks: ${stackNames().join(", ")})\n`);
    return 2;
  }
  // A stack that does not exist, or a stack file that is not YAML, is said before the SDKs load.
  try {
    readStackConfig(stack);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { planStack } = require("./plan/index") as typeof import("./plan/index");
  const result = await planStack(stack);
  (result.exitCode === 0 ? process.stdout : process.stderr).write(result.output + "\n");
  return result.exitCode;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`The plan failed unexpectedly: ${(e as Error)?.message ?? String(e)}\n`);
    // `npm run plan` runs with --stack-trace-limit=0 (package.json: Pulumi captures a stack per
    // resource otherwise); without the flag the same failure comes with its frames.
    if (Error.stackTraceLimit === 0)
      process.stderr.write(
        `For where it failed: node -r ./tools/ts-hook.js tools/plan.ts ${process.argv[2]}  (prints stack traces)\n`,
      );
    process.exit(3);
  },
);

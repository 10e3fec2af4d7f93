// `npm run plan -- <stack>`: the offline plan of one stack (see tools/plan/index.ts).
import { planStack } from "./plan/index";
import { stackNames } from "./engine/stackConfig";

async function main(): Promise<number> {
  const stack = process.argv[2];
  if (!stack || process.argv.length > 3) {
    process.stderr.write(`Usage: npm run plan -- <stack>   (stacks: ${stackNames().join(", ")})\n`);
    return 2;
  }
  const result = await planStack(stack);
  (result.exitCode === 0 ? process.stdout : process.stderr).write(result.output + "\n");
  return result.exitCode;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`The plan failed unexpectedly: ${(e as Error)?.message ?? String(e)}\n`);
    process.exit(3);
  },
);

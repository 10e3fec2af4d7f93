// `npm run -s policy-config -- <stack>`: prints the policy config file a stack's previews and
// deploys pass to `--policy-pack-config` (its own policies/config/<stack>.json, else its
// environment's), the same resolution as the offline plan. Exit 2 with one message when there is none.
import { policyConfigName, PolicyConfigError } from "../policies/offline/config-files";
import { environmentOf, readStackConfig, stackNames, UsageError } from "./engine/stackConfig";

function main(): number {
  const stack = process.argv[2];
  if (!stack || process.argv.length > 3) {
    process.stderr.write(
      `Usage: npm run -s policy-config -- <stack>   (stacks: ${stackNames().join(", ")})\n`,
    );
    return 2;
  }
  try {
    process.stdout.write(
      `policies/config/${policyConfigName(stack, environmentOf(readStackConfig(stack)))}.json\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof PolicyConfigError || e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exit(main());

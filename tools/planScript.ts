import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./engine/stackConfig";

/**
 * `npm run plan`'s node arguments as package.json's script gives them (flags, the TypeScript hook,
 * tools/plan.ts), without tools/node.sh in front: whoever reads them already runs on a supported Node.
 */
export function planScriptArgs(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = manifest.scripts.plan.replace(/^bash tools\/node\.sh /, "").split(/\s+/);
  if (command !== "node") throw new Error(`package.json's plan script does not run node: ${command}`);
  return args;
}

/** The plan's V8 and Node flags (`--...`): what runs the program the way the plan does runs with them too. */
export function planNodeFlags(): string[] {
  return planScriptArgs().filter((arg) => arg.startsWith("--"));
}

import * as fs from "fs";
import { planStack } from "../../tools/plan/index";
import { runProgram } from "../../tools/engine/engine";
import { newPlansDir, PLANS_DIR_VARIABLE } from "./plans";
import { stackNames } from "../../tools/engine/stackConfig";

/** Plans every stack once (preview, and with computed values known) for the whole test run. */
export default async function globalSetup(): Promise<void> {
  const PLANS_DIR = newPlansDir();
  // Test workers start after this and inherit the environment.
  process.env[PLANS_DIR_VARIABLE] = PLANS_DIR;
  for (const stack of stackNames()) {
    const plan = await planStack(stack, { outRoot: PLANS_DIR });
    fs.writeFileSync(`${PLANS_DIR}/${stack}.plan.json`, JSON.stringify(plan));
    const known = await runProgram(stack, { computed: "known" });
    fs.writeFileSync(`${PLANS_DIR}/${stack}.known.json`, JSON.stringify(known));
  }
}

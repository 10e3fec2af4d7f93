import * as fs from "fs";
import { planStack } from "../../tools/plan/index";
import { runProgram } from "./engine";
import { PLANS_DIR } from "./plans";
import { stackNames } from "./stackConfig";

/** Plans every stack once (preview, and with computed values known) for the whole test run. */
export default async function globalSetup(): Promise<void> {
  fs.rmSync(PLANS_DIR, { recursive: true, force: true });
  fs.mkdirSync(PLANS_DIR, { recursive: true });
  for (const stack of stackNames()) {
    const plan = await planStack(stack, { outRoot: PLANS_DIR });
    fs.writeFileSync(`${PLANS_DIR}/${stack}.plan.json`, JSON.stringify(plan));
    const known = await runProgram(stack, { computed: "known" });
    fs.writeFileSync(`${PLANS_DIR}/${stack}.known.json`, JSON.stringify(known));
  }
}

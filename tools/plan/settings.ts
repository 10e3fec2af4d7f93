import { NAMESPACE, parseSettings, type Settings } from "../../settings";
import type { ProgramRun } from "../engine/engine";
import type { StackConfigValues } from "../engine/stackConfig";

/** A stack's Settings from the config the CLI would pass it (what `loadSettings` reads in a real run). */
export function settingsOfStackConfig(stack: StackConfigValues): Settings {
  const prefix = `${NAMESPACE}:`;
  const values = Object.fromEntries(
    Object.entries(stack.config)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, text]) => [key.slice(prefix.length), text]),
  );
  return parseSettings({ stack: stack.stack, values, secretKeys: new Set(stack.secretKeys) });
}

/** The Settings the program ran with: artifacts render from them, since `run` holds raw config only. */
export function settingsOfRun(run: ProgramRun): Settings {
  return settingsOfStackConfig(run.stack);
}

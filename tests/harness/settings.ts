import { ConfigError, type Settings } from "../../settings";
import { type ConfigOverride, readStackConfig } from "../../tools/engine/stackConfig";
import { settingsOfStackConfig } from "../../tools/plan/settings";

// A stack's settings as the program would parse them, with keys changed as `pulumi config set`
// would, and the one message a bad config stops with.

/** The stack's Settings, its files read as the CLI reads them, `overrides` on top. */
export function settingsOf(stack: string, overrides: Record<string, ConfigOverride> = {}): Settings {
  return settingsOfStackConfig(readStackConfig(stack, overrides));
}

/** The ConfigError's message for the stack with `overrides`; fails the test when the config parses. */
export function problemsOf(stack: string, overrides: Record<string, ConfigOverride>): string {
  try {
    settingsOf(stack, overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const message = (e as Error).message;
    expect(message).toContain(`Stack "${stack}"`);
    expect(message).not.toMatch(/\n\s+at /); // no stack trace in the message
    return message;
  }
  throw new Error("expected a ConfigError");
}

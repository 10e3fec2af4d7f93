import type { ProgramRun } from "../engine/engine";

/** A gate the plan runs on the stack: what it prints, and whether the plan must fail. */
export interface CheckResult {
  title: string;
  lines: string[];
  failed: boolean;
}

export type Check = (run: ProgramRun) => Promise<CheckResult>;

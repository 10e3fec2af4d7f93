import type { ProgramRun } from "../engine/engine";

/** A gate the plan runs on the stack: what it prints, and whether the plan must fail. */
export interface CheckResult {
  title: string;
  lines: string[];
  failed: boolean;
}

/** What a gate may be told besides the run. */
export interface CheckOptions {
  /** Where the policy configs are; policies/config unless a test says otherwise. */
  policyConfigDirectory?: string;
}

export type Check = (run: ProgramRun, options: CheckOptions) => Promise<CheckResult>;

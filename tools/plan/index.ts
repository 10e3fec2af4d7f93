import * as fs from "fs";
import * as path from "path";
import { ruleFile } from "../../components/monitoring/rules";
import { alertingOf, alertmanagerFile } from "../../components/monitoring/values";
import { nginxConfFromSettings } from "../../components/nginx/fromSettings";
import { ConfigError } from "../../settings";
import { ENVIRONMENTS } from "../../settings/schema";
import { ProgramError, ProgramRun, runProgram, RunOptions } from "../engine/engine";
import { environmentOf, PROJECT_ROOT, readStackConfig, UsageError } from "../engine/stackConfig";
import type { Check, CheckOptions } from "./check";
import { costSection } from "./cost";
import { renderManifests } from "./manifests";
import { policyGate } from "./policies";
import { loadPolicyConfig, policyConfigName, PolicyConfigError } from "../../policies/offline";
import { report } from "./report";
import { timelineSection } from "./timeline";
import { settingsOfRun } from "./settings";
import { deploymentState } from "./state";

/** A file the plan writes under .plan/<stack>/: relative path → content. */
type Artifact = (run: ProgramRun) => Map<string, string>;

/** What the plan writes. A later component adds its rendered files with one line here. */
const ARTIFACTS: Artifact[] = [
  (run) => new Map([["state.json", JSON.stringify(deploymentState(run), null, 2) + "\n"]]),
  (run) => new Map([...renderManifests(run.resources)].map(([file, yaml]) => [`manifests/${file}`, yaml])),
  (run) => new Map([["nginx/nginx.conf", nginxConfFromSettings(settingsOfRun(run))]]),
  (run) => new Map(settingsOfRun(run).isLocal ? [] : [["prometheus-rules.yaml", ruleFile()]]),
  (run) => {
    const settings = settingsOfRun(run);
    return new Map(settings.isLocal ? [] : [["alertmanager.yaml", alertmanagerFile(alertingOf(settings))]]);
  },
];

/** The gates a plan must pass, and what it estimates (cost, time of a fresh up). */
const CHECKS: Check[] = [policyGate, costSection, timelineSection];

export interface PlanResult {
  exitCode: number;
  /** Everything the plan printed. */
  output: string;
  /** Where it wrote its files (absent when the program did not run). */
  dir?: string;
  run?: ProgramRun;
}

export interface PlanOptions extends RunOptions, CheckOptions {
  /** Where .plan/ goes; the project root unless a test says otherwise. */
  outRoot?: string;
}

/** Runs the offline plan of one stack: prints, writes .plan/<stack>/, runs the gates. */
export async function planStack(stack: string, options: PlanOptions = {}): Promise<PlanResult> {
  // The policy config first (the stack's own file, else its environment's): a missing or broken one
  // is a problem of the stack's files, reported in a moment rather than after the whole program. An
  // environment that is not one of ours is the settings' to report, with the rest of the config.
  try {
    const environment = environmentOf(readStackConfig(stack, options.overrides, options.root));
    if ((ENVIRONMENTS as readonly string[]).includes(environment)) {
      const directory = options.policyConfigDirectory;
      loadPolicyConfig(policyConfigName(stack, environment, directory), directory);
    }
  } catch (e) {
    if (e instanceof PolicyConfigError || e instanceof UsageError) return { exitCode: 2, output: e.message };
    throw e;
  }
  let run: ProgramRun;
  try {
    run = await runProgram(stack, options);
  } catch (e) {
    const cause = e instanceof ProgramError ? e.cause : e;
    // Under jest the program's modules are fresh copies, so its ConfigError class is not ours.
    if (
      cause instanceof ConfigError ||
      cause instanceof UsageError ||
      (cause as Error)?.name === "ConfigError"
    ) {
      return { exitCode: 2, output: (cause as Error).message };
    }
    throw cause;
  }
  const dir = path.join(options.outRoot ?? PROJECT_ROOT, ".plan", stack);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "manifests"), { recursive: true });
  const written: string[] = [];
  for (const artifact of ARTIFACTS) {
    for (const [file, content] of artifact(run)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
      written.push(file);
    }
  }
  const sections = [
    report(run),
    "",
    `Wrote ${written.length} files to ${path.relative(process.cwd(), dir) || dir}/.`,
  ];
  let failed = false;
  for (const check of CHECKS) {
    const result = await check(run, options);
    sections.push("", result.title, ...result.lines);
    failed ||= result.failed;
  }
  return { exitCode: failed ? 1 : 0, output: sections.join("\n"), dir, run };
}

// The repository's GitHub workflows as the tests read them: raw text (pins carry their version in
// a comment, which a YAML parser drops) and the parsed document.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "js-yaml";

export const ROOT = path.resolve(__dirname, "..", "..");
export const WORKFLOWS_DIR = path.join(ROOT, ".github", "workflows");

export interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

export interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  "runs-on"?: string;
  "timeout-minutes"?: number;
  environment?: string | { name: string; url?: string };
  permissions?: unknown;
  strategy?: { matrix?: Record<string, unknown> };
  concurrency?: unknown;
  outputs?: Record<string, string>;
  steps?: Step[];
  uses?: string;
}

export interface WorkflowDoc {
  name?: string;
  on?: unknown;
  permissions?: unknown;
  concurrency?: { group?: string; "cancel-in-progress"?: boolean | string } | string;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

export interface Workflow {
  /** File name, e.g. `deploy.yml`. */
  file: string;
  text: string;
  doc: WorkflowDoc;
}

export function parseWorkflow(file: string, text: string): Workflow {
  return { file, text, doc: YAML.load(text) as WorkflowDoc };
}

/** Every workflow under .github/workflows/. */
export function loadWorkflows(): Workflow[] {
  return fs
    .readdirSync(WORKFLOWS_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => parseWorkflow(f, fs.readFileSync(path.join(WORKFLOWS_DIR, f), "utf8")));
}

export function workflow(file: string): Workflow {
  const found = loadWorkflows().find((w) => w.file === file);
  if (!found) throw new Error(`.github/workflows/${file} does not exist`);
  return found;
}

/** The events a workflow runs on, whichever of the three `on:` shapes it uses. */
export function events(doc: WorkflowDoc): string[] {
  const on = doc.on;
  if (typeof on === "string") return [on];
  if (Array.isArray(on)) return on.map(String);
  return Object.keys((on ?? {}) as Record<string, unknown>);
}

export function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

export function environmentOf(job: Job): string | undefined {
  return typeof job.environment === "string" ? job.environment : job.environment?.name;
}

/** The step of `job` with this id; throws when there is none, naming what there is. */
export function stepById(wf: Workflow, jobId: string, stepId: string): Step {
  const job = wf.doc.jobs[jobId];
  if (!job) throw new Error(`${wf.file} has no job "${jobId}"`);
  const step = (job.steps ?? []).find((s) => s.id === stepId);
  if (!step?.run) throw new Error(`${wf.file}: job "${jobId}" has no run step with id "${stepId}"`);
  return step;
}

export interface ScriptResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a step's `run:` script the way a Linux runner runs a step without `shell:` (`bash -e {0}`),
 * in `cwd`, with `env` added to a minimal environment. Stubs for commands the script calls (sudo,
 * pulumi...) go in `env.PATH` ahead of the system's.
 */
export function runScript(script: string, cwd: string, env: Record<string, string>): ScriptResult {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-step-")), "step.sh");
  fs.writeFileSync(file, script);
  try {
    const stdout = execFileSync("bash", ["-e", file], {
      cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir(), LANG: "C.UTF-8", ...env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { status: 0, stdout, stderr: "" };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { status: err.status ?? 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/**
 * A new directory under `parent` holding executable stubs: name → shell body. Each stub appends its
 * arguments to `<dir>/<name>.log` before running its body.
 */
export function stubCommands(parent: string, stubs: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(parent, "stubs-"));
  for (const [name, body] of Object.entries(stubs)) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> "${dir}/${name}.log"\n${body}\n`);
    fs.chmodSync(file, 0o755);
  }
  return dir;
}

// The security properties every workflow of this repository keeps, as plain functions that return
// one sentence per problem. The tests run them on the real workflows (no problem) and on a broken
// one (every problem found), so a rule that silently stopped matching would show.
import { Job, Step, Workflow, environmentOf, events, needsOf } from "./workflows";

const FULL_SHA = /^[0-9a-f]{40}$/;
const EXACT_VERSION = /^v\d+\.\d+\.\d+$/;
const SCOPES = new Set([
  "actions",
  "attestations",
  "checks",
  "contents",
  "deployments",
  "discussions",
  "id-token",
  "issues",
  "models",
  "packages",
  "pages",
  "pull-requests",
  "repository-projects",
  "security-events",
  "statuses",
]);
const OIDC_ACTION = "aws-actions/configure-aws-credentials";
const PULUMI_ACTION = "pulumi/actions";

function stepsOf(job: Job): Step[] {
  return job.steps ?? [];
}

function actionOf(step: Step): string | undefined {
  return step.uses?.split("@")[0];
}

function usesAction(job: Job, action: string): Step[] {
  return stepsOf(job).filter((s) => actionOf(s) === action);
}

function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/** `permissions:` must be an explicit map (or `{}`); `read-all`/`write-all` and omissions are problems. */
function permissionProblems(where: string, permissions: unknown, readOnly: boolean): string[] {
  if (permissions === undefined) return [`${where} must declare its permissions explicitly.`];
  if (typeof permissions === "string")
    return [`${where} must list its permissions scope by scope, not "${permissions}".`];
  if (permissions === null || typeof permissions !== "object")
    return [`${where} has permissions that are not a map of scopes.`];
  const problems: string[] = [];
  for (const [scope, level] of Object.entries(permissions as Record<string, unknown>)) {
    if (!SCOPES.has(scope)) problems.push(`${where} grants an unknown permission scope "${scope}".`);
    if (!["read", "write", "none"].includes(String(level)))
      problems.push(`${where} gives "${scope}" the level "${String(level)}" (read, write or none).`);
    if (readOnly && level === "write")
      problems.push(
        `${where} must not grant "${scope}: write" to every job; grant it to the job that needs it.`,
      );
  }
  return problems;
}

/** Why a job may hold each write scope: the scope is justified only by what the job does. */
function writeScopeProblems(where: string, job: Job): string[] {
  const perms = (typeof job.permissions === "object" && job.permissions) || {};
  const problems: string[] = [];
  for (const [scope, level] of Object.entries(perms as Record<string, unknown>)) {
    if (level !== "write") continue;
    if (scope === "id-token") {
      if (usesAction(job, OIDC_ACTION).length === 0)
        problems.push(`${where} has "id-token: write" but exchanges no OIDC token (${OIDC_ACTION}).`);
    } else if (scope === "pull-requests") {
      const commenting = usesAction(job, PULUMI_ACTION).some((s) => isTrue(s.with?.["comment-on-pr"]));
      if (!commenting) problems.push(`${where} has "pull-requests: write" but comments on no pull request.`);
    } else if (scope === "contents") {
      const pushes = stepsOf(job).some((s) => /\bgit push\b/.test(s.run ?? ""));
      if (!pushes) problems.push(`${where} has "contents: write" but pushes nothing.`);
      if (usesAction(job, PULUMI_ACTION).length > 0 || usesAction(job, OIDC_ACTION).length > 0)
        problems.push(`${where} has "contents: write" and cloud credentials in the same job; split them.`);
    } else {
      problems.push(`${where} has "${scope}: write", which no job of this repository needs.`);
    }
  }
  return problems;
}

/** Every `uses:` of a remote action is pinned to a full commit SHA commented with its exact version, or to an exact version. */
function pinProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const lines = wf.text.split("\n");
  lines.forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(["']?)([^\s"'#]+)\1\s*(?:#\s*(.*))?$/.exec(line);
    if (!m) return;
    const [, , ref, comment] = m;
    const where = `${wf.file}:${i + 1}`;
    if (ref.startsWith("./")) return;
    if (ref.startsWith("docker://")) {
      if (!/@sha256:[0-9a-f]{64}$/.test(ref)) problems.push(`${where}: ${ref} must be pinned to a digest.`);
      return;
    }
    const [, version] = ref.split("@");
    if (version === undefined) {
      problems.push(`${where}: ${ref} names no version.`);
    } else if (FULL_SHA.test(version)) {
      if (!comment || !EXACT_VERSION.test(comment.trim()))
        problems.push(`${where}: ${ref} must say which release that commit is, as a "# vX.Y.Z" comment.`);
    } else if (!EXACT_VERSION.test(version)) {
      problems.push(`${where}: ${ref} is a moving ref; pin a full commit SHA (# vX.Y.Z) or an exact vX.Y.Z.`);
    }
  });
  return problems;
}

/** Everything in a `run:` block is shell: an expression there is pasted into the script before it runs. */
function runProblems(where: string, step: Step): string[] {
  if (step.run === undefined || !step.run.includes("${{")) return [];
  const expressions = step.run.match(/\$\{\{[^}]*\}\}/g) ?? ["${{"];
  const untrusted = expressions.filter((e) => /\b(inputs|github\.event|github\.head_ref)\b/.test(e));
  return [
    untrusted.length > 0
      ? `${where} pastes untrusted input into its script (${untrusted.join(", ")}); pass it through env:.`
      : `${where} has an expression in its script (${expressions.join(", ")}); pass it through env:.`,
  ];
}

function oidcProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  if (/secrets\.AWS_[A-Z_]*/.test(wf.text))
    problems.push(`${wf.file} reads AWS credentials from secrets; assume a role through OIDC instead.`);
  for (const [jobId, job] of Object.entries(wf.doc.jobs)) {
    for (const step of usesAction(job, OIDC_ACTION)) {
      const where = `${wf.file}: job "${jobId}"`;
      const role = String(step.with?.["role-to-assume"] ?? "");
      if (!/^\$\{\{\s*vars\.[A-Z][A-Z0-9_]*\s*\}\}$/.test(role))
        problems.push(
          `${where} must take the role to assume from a repository variable (vars.*), not "${role}".`,
        );
      for (const key of ["aws-access-key-id", "aws-secret-access-key", "aws-session-token"])
        if (step.with?.[key] !== undefined) problems.push(`${where} passes ${key}; use OIDC only.`);
      if (step.with?.["aws-region"] !== "sa-east-1")
        problems.push(`${where} must work in sa-east-1 (LGPD: data stays in Brazil).`);
      const perms = (typeof job.permissions === "object" && job.permissions) || {};
      if ((perms as Record<string, unknown>)["id-token"] !== "write")
        problems.push(`${where} exchanges an OIDC token without "id-token: write".`);
    }
  }
  return problems;
}

/** The problems of one workflow; [] when it keeps every property. */
export function workflowProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const on = events(wf.doc);
  for (const privileged of ["pull_request_target", "workflow_run"])
    if (on.includes(privileged))
      problems.push(
        `${wf.file} runs on ${privileged}, which runs with a privileged token next to untrusted code.`,
      );

  problems.push(...permissionProblems(`${wf.file} (top level)`, wf.doc.permissions, true));
  problems.push(...pinProblems(wf));
  problems.push(...oidcProblems(wf));

  for (const [jobId, job] of Object.entries(wf.doc.jobs ?? {})) {
    const where = `${wf.file}: job "${jobId}"`;
    problems.push(...permissionProblems(where, job.permissions, false));
    problems.push(...writeScopeProblems(where, job));
    if (typeof job["timeout-minutes"] !== "number") problems.push(`${where} must set timeout-minutes.`);
    const pushes = stepsOf(job).some((s) => /\bgit push\b/.test(s.run ?? ""));
    stepsOf(job).forEach((step, i) => {
      const at = `${where}, step ${step.id ?? step.name ?? i + 1}`;
      problems.push(...runProblems(at, step));
      if (actionOf(step) === "actions/checkout" && !pushes && step.with?.["persist-credentials"] !== false)
        problems.push(`${at} leaves the token in .git/config; set persist-credentials: false.`);
      if (actionOf(step) === PULUMI_ACTION && !/^\d+\.\d+\.\d+$/.test(String(step.with?.["pulumi-version"])))
        problems.push(`${at} must pin the Pulumi CLI to an exact version (pulumi-version).`);
    });
  }
  return problems;
}

/** The deploy workflow's shape: staging first, production behind its environment. */
export function deployProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const jobs = Object.entries(wf.doc.jobs);
  const upsOf = (job: Job) => usesAction(job, PULUMI_ACTION).filter((s) => s.with?.command === "up");
  const deploying = (stack: string) =>
    jobs.filter(([, job]) => upsOf(job).some((s) => s.with?.["stack-name"] === stack));
  const staging = deploying("staging");
  const production = deploying("production");
  if (staging.length !== 1)
    problems.push(`${wf.file} must have exactly one job that runs pulumi up on staging.`);
  if (production.length !== 1)
    problems.push(`${wf.file} must have exactly one job that runs pulumi up on production.`);
  for (const [jobId, job] of production) {
    if (environmentOf(job) !== "production")
      problems.push(`${wf.file}: job "${jobId}" deploys production outside the "production" environment.`);
    if (!staging.every(([stagingId]) => needsOf(job).includes(stagingId)))
      problems.push(`${wf.file}: job "${jobId}" deploys production without needing the staging deploy.`);
  }
  for (const [jobId, job] of [...staging, ...production])
    for (const step of upsOf(job)) {
      const stack = String(step.with?.["stack-name"]);
      if (step.with?.policyPacks !== "policies" || !usesResolvedPolicyConfig(job, step, stack))
        problems.push(
          `${wf.file}: job "${jobId}" runs pulumi up on ${stack} without the policy pack and its config.`,
        );
    }
  const concurrency = wf.doc.concurrency;
  if (typeof concurrency !== "object" || concurrency["cancel-in-progress"] !== false)
    problems.push(
      `${wf.file} must serialize its runs without cancelling one mid-update (cancel-in-progress: false).`,
    );
  return problems;
}

/**
 * True when the Pulumi step passes the policy config that `npm run -s policy-config -- <stack>` resolves
 * (the stack's own file, else its environment's), from an earlier step of the same job for the same stack.
 */
function usesResolvedPolicyConfig(job: Job, step: Step, stack: unknown): boolean {
  const match = /^\$\{\{ steps\.([\w-]+)\.outputs\.file \}\}$/.exec(String(step.with?.policyPackConfigs));
  const steps = job.steps ?? [];
  const resolver = match ? steps.find((s) => s.id === match[1]) : undefined;
  return (
    resolver !== undefined &&
    steps.indexOf(resolver) < steps.indexOf(step) &&
    resolver.env?.STACK === stack &&
    /npm run -s policy-config -- "\$STACK"/.test(resolver.run ?? "") &&
    /"file=\$\w+"\s*>>\s*"\$GITHUB_OUTPUT"/.test(resolver.run ?? "")
  );
}

/** The preview workflow's shape: each stack previewed with its policy config, commented on the PR, never for forks. */
export function previewProblems(wf: Workflow, stacks: string[]): string[] {
  const problems: string[] = [];
  if (!events(wf.doc).includes("pull_request")) problems.push(`${wf.file} must run on pull_request.`);
  const previews = Object.entries(wf.doc.jobs).filter(([, job]) =>
    usesAction(job, PULUMI_ACTION).some((s) => s.with?.command === "preview"),
  );
  if (previews.length === 0) problems.push(`${wf.file} runs no pulumi preview.`);
  for (const [jobId, job] of previews) {
    const where = `${wf.file}: job "${jobId}"`;
    const matrixStacks = (job.strategy?.matrix?.stack as string[] | undefined) ?? [];
    for (const stack of stacks)
      if (!matrixStacks.includes(stack)) problems.push(`${where} does not preview ${stack}.`);
    if (!/github\.event\.pull_request\.head\.repo\.full_name\s*==\s*github\.repository/.test(job.if ?? ""))
      problems.push(`${where} must skip pull requests from forks (no secrets there).`);
    for (const step of usesAction(job, PULUMI_ACTION)) {
      const w = step.with ?? {};
      if (w["stack-name"] !== "${{ matrix.stack }}")
        problems.push(`${where} must preview the matrix's stack.`);
      if (w.policyPacks !== "policies") problems.push(`${where} must run the policy pack in policies/.`);
      if (!usesResolvedPolicyConfig(job, step, "${{ matrix.stack }}"))
        problems.push(`${where} must give the policy pack the stack's own config.`);
      if (!isTrue(w["comment-on-pr"]) || !isTrue(w["edit-pr-comment"]))
        problems.push(`${where} must comment on the pull request and edit that comment in place.`);
    }
  }
  const concurrency = wf.doc.concurrency;
  if (
    typeof concurrency !== "object" ||
    !String(concurrency.group).includes("github.event.pull_request.number") ||
    concurrency["cancel-in-progress"] !== true
  )
    problems.push(`${wf.file} must cancel a pull request's older preview when a newer one starts.`);
  return problems;
}

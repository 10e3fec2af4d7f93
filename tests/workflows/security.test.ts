import * as fs from "fs";
import * as path from "path";
import { deployProblems, previewProblems, workflowProblems } from "./rules";
import {
  ROOT,
  environmentOf,
  events,
  loadWorkflows,
  needsOf,
  parseWorkflow,
  workflow,
  type Step,
} from "./workflows";

const workflows = loadWorkflows();
const cloudStacks = ["staging", "production"];

const SHA = "de0fac2e4500dabe0009e67214ff5f5447ce83dd";

// Everything these workflows must never do, in one file.
const BROKEN = `
name: Broken
on:
  pull_request_target:
  workflow_dispatch:
    inputs:
      tag: { type: string }
permissions: write-all
jobs:
  deploy:
    runs-on: ubuntu-24.04
    permissions:
      contents: write
      id-token: write
      packages: write
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@main
      - uses: actions/upload-artifact@${SHA}
      - uses: aws-actions/configure-aws-credentials@v6.1.1
        with:
          aws-access-key-id: \${{ secrets.AWS_ACCESS_KEY_ID }}
          aws-secret-access-key: \${{ secrets.AWS_SECRET_ACCESS_KEY }}
          role-to-assume: arn:aws:iam::111122223333:role/deploy
          aws-region: us-east-1
      - run: echo "deploying \${{ inputs.tag }} for \${{ github.event.pull_request.title }}"
      - run: echo "\${{ matrix.stack }}"
      - uses: pulumi/actions@v7.0.0
        with: { command: up, stack-name: production }
  comment:
    runs-on: ubuntu-24.04
    permissions: read-all
    steps:
      - uses: actions/checkout@${SHA} # v6.0.2
`;

describe("every workflow", () => {
  test("there are the four workflows of the CI/CD design", () => {
    expect(workflows.map((w) => w.file)).toEqual(
      expect.arrayContaining(["ci.yml", "deploy.yml", "drift.yml", "preview.yml"]),
    );
  });

  test.each(workflows.map((w) => [w.file, w] as const))(
    "%s: minimal explicit permissions, pinned actions, OIDC only, no expression in a script",
    (_file, wf) => {
      expect(workflowProblems(wf)).toEqual([]);
    },
  );

  test("no workflow grants more than read access at the top level", () => {
    for (const wf of workflows) {
      const perms = wf.doc.permissions as Record<string, string>;
      expect([wf.file, Object.values(perms).every((level) => level === "read")]).toEqual([wf.file, true]);
    }
  });

  test("id-token: write is held only by jobs that assume an AWS role through OIDC", () => {
    const holders = workflows.flatMap((wf) =>
      Object.entries(wf.doc.jobs)
        .filter(([, job]) => (job.permissions as Record<string, string>)["id-token"] === "write")
        .map(([jobId, job]) => ({
          job: `${wf.file}:${jobId}`,
          oidc: (job.steps ?? []).some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@")),
        })),
    );
    expect(holders.map((h) => h.job).sort()).toEqual([
      "deploy.yml:production",
      "deploy.yml:staging",
      "drift.yml:drift",
      "preview.yml:preview",
    ]);
    expect(holders.every((h) => h.oidc)).toBe(true);
  });

  test("roles come from the variables docs/ci-cd.md documents, one for previews and one for deploys", () => {
    const roles = new Set(
      workflows.flatMap((wf) =>
        Object.values(wf.doc.jobs).flatMap((job) =>
          (job.steps ?? [])
            .filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))
            .map((s) => String(s.with?.["role-to-assume"])),
        ),
      ),
    );
    expect([...roles].sort()).toEqual([
      "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
      "${{ vars.AWS_PREVIEW_ROLE_ARN }}",
    ]);
    const section = fs.readFileSync(path.join(ROOT, "docs", "ci-cd.md"), "utf8");
    expect(section.startsWith("# CI/CD\n")).toBe(true);
    const used = workflows.flatMap((wf) =>
      [...wf.text.matchAll(/\b(?:secrets|vars)\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]),
    );
    expect([...new Set(used)].filter((name) => !section.includes(name))).toEqual([]);
  });

  test("every third-party action is the same release everywhere", () => {
    const pins = new Map<string, Set<string>>();
    for (const wf of workflows)
      for (const m of wf.text.matchAll(/uses:\s*([\w.-]+\/[\w.-]+)@(\S+)(?:\s*#\s*(\S+))?/g)) {
        const set = pins.get(m[1]) ?? new Set<string>();
        set.add(`${m[2]} ${m[3] ?? ""}`.trim());
        pins.set(m[1], set);
      }
    for (const [action, refs] of pins) expect([action, [...refs]]).toEqual([action, [[...refs][0]]]);
  });

  test("the Pulumi CLI is pinned to one exact version, no older than the SDK in package.json", () => {
    const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies[
      "@pulumi/pulumi"
    ];
    const versions = new Set(
      workflows.flatMap((wf) =>
        Object.values(wf.doc.jobs).flatMap((job) =>
          (job.steps ?? [])
            .filter((s) => s.uses?.startsWith("pulumi/actions@"))
            .map((s) => String(s.with?.["pulumi-version"])),
        ),
      ),
    );
    expect(versions.size).toBe(1);
    const [cli] = [...versions];
    const parts = (v: string) => v.split(".").map(Number);
    const [a, b] = [parts(cli), parts(sdk)];
    expect(a[0] * 1e6 + a[1] * 1e3 + a[2]).toBeGreaterThanOrEqual(b[0] * 1e6 + b[1] * 1e3 + b[2]);
  });
});

describe("the rules catch what they are for", () => {
  const problems = workflowProblems(parseWorkflow("broken.yml", BROKEN));

  test.each([
    ["a privileged trigger", /runs on pull_request_target/],
    ["write-all at the top level", /\(top level\) must list its permissions scope by scope, not "write-all"/],
    ["read-all on a job", /job "comment" must list its permissions scope by scope, not "read-all"/],
    ["a write scope nothing needs", /"packages: write", which no job of this repository needs/],
    ["contents: write without a push", /"contents: write" but pushes nothing/],
    ["contents: write next to cloud credentials", /"contents: write" and cloud credentials in the same job/],
    ["a major-version tag", /actions\/checkout@v4 is a moving ref/],
    ["a branch", /actions\/setup-node@main is a moving ref/],
    ["a SHA without its version", /must say which release that commit is/],
    ["AWS keys in secrets", /reads AWS credentials from secrets/],
    ["a hard-coded role", /role to assume from a repository variable/],
    ["access keys passed to the action", /passes aws-access-key-id; use OIDC only/],
    ["another region", /must work in sa-east-1/],
    [
      "untrusted input in a script",
      /pastes untrusted input into its script \(\$\{\{ inputs\.tag \}\}, \$\{\{ github\.event/,
    ],
    ["any expression in a script", /has an expression in its script \(\$\{\{ matrix\.stack \}\}\)/],
    ["a missing timeout", /job "deploy" must set timeout-minutes/],
    ["a checkout that keeps the token", /leaves the token in \.git\/config/],
    ["an unpinned Pulumi CLI", /must pin the Pulumi CLI to an exact version/],
  ])("%s", (_what, pattern) => {
    expect(problems.filter((p) => pattern.test(p))).not.toEqual([]);
  });

  test("a deploy without the production environment or the staging step is refused", () => {
    expect(deployProblems(parseWorkflow("broken.yml", BROKEN))).toEqual(
      expect.arrayContaining([
        "broken.yml must have exactly one job that runs pulumi up on staging.",
        'broken.yml: job "deploy" deploys production outside the "production" environment.',
        'broken.yml: job "deploy" runs pulumi up on production without the policy pack and its config.',
        "broken.yml must serialize its runs without cancelling one mid-update (cancel-in-progress: false).",
      ]),
    );
  });

  test("a preview without the policy pack, the fork guard or the PR comment is refused", () => {
    const preview = workflow("preview.yml");
    const stripped = preview.text
      .replace(/^\s+policyPackConfigs:.*\n/m, "")
      .replace(/^\s+if: .*full_name.*\n/m, "")
      .replace("edit-pr-comment: true", "edit-pr-comment: false");
    expect(previewProblems(parseWorkflow("preview.yml", stripped), cloudStacks)).toEqual([
      'preview.yml: job "preview" must skip pull requests from forks (no secrets there).',
      'preview.yml: job "preview" must give the policy pack the stack\'s own config.',
      'preview.yml: job "preview" must comment on the pull request and edit that comment in place.',
    ]);
  });
});

describe("preview.yml", () => {
  const preview = workflow("preview.yml");

  test("previews staging and production with the policy pack and each stack's config, on the PR, never for forks", () => {
    expect(previewProblems(preview, cloudStacks)).toEqual([]);
  });

  test("each previewed stack has a stack file and a policy config", () => {
    for (const stack of preview.doc.jobs.preview.strategy!.matrix!.stack as string[]) {
      expect(fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`))).toBe(true);
      expect(fs.existsSync(path.join(ROOT, "policies", "config", `${stack}.json`))).toBe(true);
    }
  });

  test("the job may read the code, exchange an OIDC token and comment, and nothing else", () => {
    expect(preview.doc.permissions).toEqual({});
    expect(preview.doc.jobs.preview.permissions).toEqual({
      contents: "read",
      "id-token": "write",
      "pull-requests": "write",
    });
  });
});

describe("deploy.yml", () => {
  const deploy = workflow("deploy.yml");
  const jobs = deploy.doc.jobs;

  test("staging first, then production behind the production environment", () => {
    expect(deployProblems(deploy)).toEqual([]);
    expect(environmentOf(jobs.production)).toBe("production");
    expect(needsOf(jobs.production)).toEqual(["staging"]);
  });

  test("runs on pushes to main and on a dispatch that takes a stack, an app and a tag", () => {
    expect(events(deploy.doc).sort()).toEqual(["push", "workflow_dispatch"]);
    const inputs = (deploy.doc.on as any).workflow_dispatch.inputs;
    expect(inputs.stack).toMatchObject({ type: "choice", options: ["staging", "production"] });
    expect(inputs.app).toMatchObject({ type: "choice", options: ["web", "api", "worker"] });
    expect(inputs.tag).toMatchObject({ type: "string", required: true });
  });

  test("deploys only from main", () => {
    for (const id of ["staging", "production"])
      expect(jobs[id].if).toContain("github.ref == 'refs/heads/main'");
  });

  test("only the job that commits back can write, and it holds no cloud credential", () => {
    const writers = Object.entries(jobs).filter(([, job]) =>
      Object.values(job.permissions as Record<string, string>).includes("write"),
    );
    expect(writers.map(([id, job]) => [id, job.permissions])).toEqual([
      ["staging", { contents: "read", "id-token": "write" }],
      ["production", { contents: "read", "id-token": "write" }],
      ["record", { contents: "write" }],
    ]);
    expect(jobs.record.steps!.some((s: Step) => /pulumi|aws-actions/.test(s.uses ?? ""))).toBe(false);
  });

  test("both deploy jobs validate the dispatched tag with the same script", () => {
    const script = (job: string) => jobs[job].steps!.find((s) => s.id === "image")!.run;
    expect(script("production")).toBe(script("staging"));
  });
});

describe("ci.yml", () => {
  const ci = workflow("ci.yml");

  test("installs from the lockfile with the npm cache, on every Node major package.json supports, and runs the check command", () => {
    const check = ci.doc.jobs.check;
    // engines "^22.12.0 || >=24.0.0": the maintained LTS lines, 22 and 24 (Node 20 ended 2026-04-30).
    const engines = (
      JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        engines: { node: string };
      }
    ).engines.node;
    const majors = [...engines.matchAll(/(\d+)\.\d+\.\d+/g)].map((m) => Number(m[1]));
    expect(majors).toEqual([22, 24]);
    expect(check.strategy!.matrix!.node).toEqual(majors);
    const setup = check.steps!.find((s) => s.uses?.startsWith("actions/setup-node@"))!;
    expect(setup.with).toMatchObject({ "node-version": "${{ matrix.node }}", cache: "npm" });
    const runs = check.steps!.map((s) => s.run ?? "");
    expect(runs).toContain("npm ci --no-audit --no-fund");
    expect(runs).toContain("npm run check");
  });

  test("plans every stack and uploads .plan/", () => {
    const plan = ci.doc.jobs.plan;
    const script = plan.steps!.map((s) => s.run ?? "").join("\n");
    expect(script).toContain("for stack in dev staging production");
    expect(script).toContain('npm run --silent plan -- "$stack"');
    const upload = plan.steps!.find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;
    expect(upload.with).toMatchObject({ path: ".plan/", "include-hidden-files": true });
  });
});

describe("drift.yml", () => {
  const drift = workflow("drift.yml");

  test("runs nightly and by hand, and fails on any difference after a refresh", () => {
    expect(events(drift.doc).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const step = drift.doc.jobs.drift.steps!.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect(step.with).toMatchObject({ command: "preview", refresh: true, "expect-no-changes": true });
    expect(drift.doc.jobs.drift.strategy!.matrix!.stack).toEqual(cloudStacks);
  });
});

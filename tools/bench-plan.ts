// `npm run bench:plan [-- <stack> [runs]]`: how long the offline plan of a stack takes against the
// floor it cannot beat, loading the Pulumi SDKs it uses, measured in the same run and interleaved
// (floor, plan, floor, plan, ...) so that the machine's load weighs on both alike. Two floors: the
// SDKs' entry points (`require("@pulumi/aws")`, ...), which the budget is judged against, and every
// SDK file the plan itself loads (the AWS services and Kubernetes API groups its resources come
// from, which the SDKs load only when a program first uses them), for how much of the plan is
// SDK code at all. Prints medians and minimums and the ratios; exits 1 when the plan takes more
// than twice the first floor. A tool to run by hand (or in CI's plan job), not a timed test.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "./engine/stackConfig";
import { planNodeFlags, planScriptArgs } from "./planScript";

const BUDGET = 2;

/** The SDK packages the plan loads: the program's (Pulumi's and the AWS SDK client) and the policy pack's. */
function sdks(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  return [
    // The Pulumi SDKs, and the AWS SDK client the preflight loads (DescribeAddonVersions).
    ...Object.keys(manifest.dependencies).filter((name) => /^@(pulumi|aws-sdk)\//.test(name)),
    "@pulumi/policy",
  ];
}

/** `npm run plan -- <stack>` as package.json's script runs it: node's arguments. */
function planCommand(stack: string): string[] {
  return [...planScriptArgs(), stack];
}

function seconds(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    throw new Error(
      `node ${args.join(" ")} exited ${result.status}: ${result.stderr.toString().slice(-500)}`,
    );
  }
  return elapsed;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Runs the plan once (which also warms the transform cache and the file system) and returns the file
 * listing every SDK file it loaded, recorded at exit by a preloaded module.
 */
function recordSdkFiles(stack: string, scratch: string): string {
  const list = path.join(scratch, "sdk-files.json");
  const recorder = path.join(scratch, "record-sdk-files.js");
  fs.writeFileSync(
    recorder,
    `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(list)}, JSON.stringify(` +
      `Object.keys(require.cache).filter((f) => /[\\/]node_modules[\\/]@pulumi[\\/]/.test(f)))));\n`,
  );
  // The plan's command with the recorder preloaded just before its script and stack.
  const command = planCommand(stack);
  seconds([...command.slice(0, -2), "-r", recorder, ...command.slice(-2)]);
  return list;
}

function main(): number {
  const stack = process.argv[2] ?? "production";
  const runs = Number(process.argv[3] ?? 5);
  const entryPoints = sdks()
    .map((name) => `require(${JSON.stringify(name)});`)
    .join("");
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bench-plan-"));
  try {
    const list = recordSdkFiles(stack, scratch);
    const fileCount = (JSON.parse(fs.readFileSync(list, "utf8")) as string[]).length;
    const floors = {
      entry: { args: [...planNodeFlags(), "-e", entryPoints], times: [] as number[] },
      files: {
        args: [
          ...planNodeFlags(),
          "-e",
          `${entryPoints}for (const f of require(${JSON.stringify(list)})) require(f);`,
        ],
        times: [] as number[],
      },
    };
    const plan: number[] = [];
    for (let i = 0; i < runs; i++) {
      floors.entry.times.push(seconds(floors.entry.args));
      plan.push(seconds(planCommand(stack)));
      floors.files.times.push(seconds(floors.files.args));
    }
    const ratio = median(plan) / median(floors.entry.times);
    const show = (values: number[]) =>
      `median ${median(values).toFixed(2)} s, min ${Math.min(...values).toFixed(2)} s  [${values.map((v) => v.toFixed(2)).join(" ")}]`;
    process.stdout.write(
      [
        `floor, the SDKs' entry points (${sdks().join(", ")}): ${show(floors.entry.times)}`,
        `floor, every SDK file the plan loads (${fileCount}): ${show(floors.files.times)}`,
        `npm run plan -- ${stack}: ${show(plan)}`,
        `ratio ${ratio.toFixed(2)} to the entry points (budget ${BUDGET}; by minimums ${(Math.min(...plan) / Math.min(...floors.entry.times)).toFixed(2)}), ` +
          `${(median(plan) / median(floors.files.times)).toFixed(2)} to every SDK file the plan loads`,
        "",
      ].join("\n"),
    );
    return ratio <= BUDGET ? 0 : 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

process.exit(main());

// `npm run bench:plan [-- <stack> [runs]]`: how long the offline plan of a stack takes against the
// floor it cannot beat, loading the Pulumi SDKs it uses, measured in the same run and interleaved
// (floor, plan, floor, plan, ...) so that the machine's load weighs on both alike. Prints the
// medians and their ratio; exits 1 when the plan takes more than twice the floor. A tool to run by
// hand (or in CI's plan job), not a timed test.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./engine/stackConfig";

const BUDGET = 2;

/** The Pulumi packages the plan loads: the program's SDKs and the policy pack's. */
function sdks(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  return [
    ...Object.keys(manifest.dependencies).filter((name) => name.startsWith("@pulumi/")),
    "@pulumi/policy",
  ];
}

/** The node flags `npm run plan` uses (package.json's script), so both sides run alike. */
function planCommand(stack: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = manifest.scripts.plan.split(/\s+/);
  if (command !== "node") throw new Error(`package.json's plan script does not start with node: ${command}`);
  return [...args, stack];
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

function main(): number {
  const stack = process.argv[2] ?? "production";
  const runs = Number(process.argv[3] ?? 5);
  const floorArgs = [
    "-e",
    sdks()
      .map((name) => `require(${JSON.stringify(name)});`)
      .join(""),
  ];
  seconds(planCommand(stack)); // warm the transform cache and the file system
  const floor: number[] = [];
  const plan: number[] = [];
  for (let i = 0; i < runs; i++) {
    floor.push(seconds(floorArgs));
    plan.push(seconds(planCommand(stack)));
  }
  const ratio = median(plan) / median(floor);
  const show = (values: number[]) => values.map((v) => v.toFixed(2)).join(" ");
  process.stdout.write(
    [
      `floor (loading ${sdks().join(", ")}): median ${median(floor).toFixed(2)} s  [${show(floor)}]`,
      `npm run plan -- ${stack}: median ${median(plan).toFixed(2)} s  [${show(plan)}]`,
      `ratio ${ratio.toFixed(2)} (budget ${BUDGET})`,
      "",
    ].join("\n"),
  );
  return ratio <= BUDGET ? 0 : 1;
}

process.exit(main());

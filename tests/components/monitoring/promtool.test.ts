import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import * as YAML from "js-yaml";
import { ruleFile, ruleGroups } from "../../../components/monitoring/rules";
import { plannedStack } from "../../harness/plans";
import { PROJECT_ROOT, readStackConfig, stackNames } from "../../../tools/engine/stackConfig";

// Prometheus' own tool on the rule file every stack's plan writes: `promtool check rules` on each,
// and the unit tests in monitoring/tests/ (a firing and a quiet case for every alert). Debian's
// `prometheus` package ships promtool (.github/apt-packages.txt); without it these tests fail.

const PROMTOOL = "/usr/bin/promtool";
const TESTS_DIR = path.join(PROJECT_ROOT, "monitoring", "tests");
const run = promisify(execFile);

const cloudStacks = stackNames().filter(
  (stack) => readStackConfig(stack).config["healthflow:environment"] !== "dev",
);
const planDirs = new Map(stackNames().map((stack) => [stack, plannedStack(stack).dir!]));
const rulesOf = (stack: string) => path.join(planDirs.get(stack)!, "prometheus-rules.yaml");

interface PromtoolTestFile {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}
const testFiles = fs
  .readdirSync(TESTS_DIR)
  .filter((f) => f.endsWith(".test.yaml"))
  .map((file) => ({
    file,
    content: YAML.load(fs.readFileSync(path.join(TESTS_DIR, file), "utf8")) as PromtoolTestFile,
  }));

async function promtool(...args: string[]): Promise<string> {
  if (!fs.existsSync(PROMTOOL)) {
    throw new Error(
      `${PROMTOOL} is missing: install Debian's prometheus package (listed in .github/apt-packages.txt)`,
    );
  }
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { timeout: 20000 });
    return stdout + stderr;
  } catch (e) {
    const failure = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `promtool ${args[0]} ${args[1]} failed:\n${failure.stdout ?? ""}${failure.stderr ?? failure.message}`,
      { cause: e },
    );
  }
}

describe("the alert rules, checked by promtool", () => {
  test("staging and production write the rule file; dev, which runs no Prometheus, does not", () => {
    expect(cloudStacks).toEqual(["production", "staging"]);
    for (const stack of cloudStacks) expect(fs.readFileSync(rulesOf(stack), "utf8")).toBe(ruleFile());
    expect(fs.existsSync(rulesOf("dev"))).toBe(false);
  });

  test("promtool check rules accepts every stack's rule file", async () => {
    const output = await promtool("check", "rules", ...cloudStacks.map(rulesOf));
    const alerts = ruleGroups().flatMap((g) => g.rules).length;
    expect(output.match(new RegExp(`SUCCESS: ${alerts} rules found`, "g"))).toHaveLength(cloudStacks.length);
  });

  test("the check is real: promtool refuses a rule with a broken expression", async () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-rules-")), "broken.yaml");
    fs.writeFileSync(
      broken,
      ruleFile([{ name: "x", rules: [{ ...ruleGroups()[0].rules[0], expr: "rate(x[5m] > 1" }] }]),
    );
    await expect(promtool("check", "rules", broken)).rejects.toThrow(/FAILED/);
  });

  test("promtool test rules: every unit test in monitoring/tests passes on the rule file the plan wrote", async () => {
    // The files name ../../.plan/production/prometheus-rules.yaml (what `npm run plan` writes); the
    // suite points them at the plan of this test run. Staging's file is identical (test above).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-promtool-"));
    const files = testFiles.map(({ file, content }) => {
      expect(content.rule_files).toEqual(["../../.plan/production/prometheus-rules.yaml"]);
      const copy = path.join(dir, file);
      fs.writeFileSync(copy, YAML.dump({ ...content, rule_files: [rulesOf("production")] }));
      return copy;
    });
    const output = await promtool("test", "rules", ...files);
    expect(output.match(/SUCCESS/g)).toHaveLength(files.length);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("every alert has a unit test that fires it and one in which it stays quiet", () => {
    // Per unit test, what it expects of each alert: fired at some evaluation, or never.
    const tests = testFiles.flatMap(({ content }) => content.tests);
    const expectations = (alert: string) =>
      tests
        .map((t) => (t.alert_rule_test ?? []).filter((c) => c.alertname === alert))
        .filter((checks) => checks.length > 0)
        .map((checks) => checks.some((c) => c.exp_alerts.length > 0));
    const coverage = ruleGroups()
      .flatMap((g) => g.rules)
      .map(({ alert }) => ({
        alert,
        fires: expectations(alert).includes(true),
        quiet: expectations(alert).includes(false),
      }));
    expect(coverage.filter((c) => !c.fires || !c.quiet)).toEqual([]);
    expect(coverage.length).toBe(12);
  });
});

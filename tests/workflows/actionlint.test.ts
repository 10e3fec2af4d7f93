import { Finding, actionlint, formatFindings } from "./actionlint";
import { loadWorkflows } from "./workflows";

const workflows = loadWorkflows();

const BROKEN = [
  "on:",
  "  issues:",
  "  workflow_dispatch:",
  "    inputs:",
  "      stack: { type: choice, options: [staging, production] }",
  "jobs:",
  "  deploy:",
  "    runs-on: ubuntu-24.04",
  "    needs: build",
  "    steps:",
  '      - run: echo "${{ github.event.issue.title }}"',
  "      - run: echo ${{ inputs.stak }}",
  "      - uses: actions/checkout@v4",
  "        with:",
  "          fetch-dept: 0",
  "",
].join("\n");

let findings: Finding[][];
beforeAll(() => {
  findings = actionlint([
    ...workflows.map((w) => ({ file: `.github/workflows/${w.file}`, text: w.text })),
    { file: ".github/workflows/broken.yml", text: BROKEN },
    { file: ".github/workflows/bad.yml", text: "on: push\njobs:\n  a: [" },
  ]);
});

describe("actionlint", () => {
  test.each(workflows.map((w, i) => [w.file, i] as const))("%s: no finding", (file, i) => {
    expect(formatFindings(file, findings[i])).toBe("");
  });

  test("reports what is wrong in a broken workflow", () => {
    const broken = findings[workflows.length];
    const says = (kind: string, text: RegExp) => broken.some((f) => f.kind === kind && text.test(f.message));

    expect(says("job-needs", /job "deploy" needs job "build" which does not exist/)).toBe(true);
    expect(says("expression", /"github\.event\.issue\.title" is potentially untrusted/)).toBe(true);
    expect(says("expression", /property "stak" is not defined/)).toBe(true);
    expect(says("action", /input "fetch-dept" is not defined in action "actions\/checkout@v4"/)).toBe(true);
    expect(broken.find((f) => /untrusted/.test(f.message))).toMatchObject({ line: 11, kind: "expression" });
  });

  test("a syntax error is a finding, not a crash", () => {
    expect(findings[workflows.length + 1].map((f) => f.kind)).toContain("syntax-check");
  });
});

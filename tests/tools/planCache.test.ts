import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { inputsDigest } from "../harness/planCache";

// The tests' cached plans are reused only while nothing they are made from has changed: the key
// must move with every input of the program and its plan, and stay put for what the plans never read.

const root = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-plan-cache-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), text);
};

beforeAll(() => {
  write("index.ts", "export = {};\n");
  write("Pulumi.staging.yaml", "config: {}\n");
  write("components/data/index.ts", "export const a = 1;\n");
  write("policies/config/staging.json", "{}\n");
  write("tests/harness/programServer.ts", "// server\n");
  write("tests/components/data.test.ts", "test('x', () => {});\n");
  write("node_modules/.package-lock.json", '{"lockfileVersion":3}\n');
  write("node_modules/@pulumi/aws/index.js", "module.exports = {};\n");
  write("policies/node_modules/.package-lock.json", '{"lockfileVersion":3}\n');
  write("monitoring/tests/rules.test.yaml", "tests: []\n");
});

test.each([
  ["a component", "components/data/index.ts"],
  ["a stack file", "Pulumi.staging.yaml"],
  ["a policy config", "policies/config/staging.json"],
  ["the tests' harness", "tests/harness/programServer.ts"],
  ["the installed packages (npm's lockfile of node_modules)", "node_modules/.package-lock.json"],
  ["the policy pack's own installed packages", "policies/node_modules/.package-lock.json"],
  ["a folder named tests below the root (promtool's unit tests)", "monitoring/tests/rules.test.yaml"],
])("changing %s plans afresh", (_what, file) => {
  const before = inputsDigest(root);
  const original = fs.readFileSync(path.join(root, file), "utf8");
  write(file, `${original}// changed\n`);
  expect(inputsDigest(root)).not.toBe(before);
  write(file, original);
  expect(inputsDigest(root)).toBe(before);
});

test("a new file of the program plans afresh", () => {
  const before = inputsDigest(root);
  write("components/edge/index.ts", "export const b = 2;\n");
  expect(inputsDigest(root)).not.toBe(before);
  fs.rmSync(path.join(root, "components/edge"), { recursive: true });
});

test.each([
  ["a test", "tests/components/data.test.ts"],
  ["a previous plan's output", ".plan/staging/state.json"],
  ["a package's own file (the lockfile stands for them)", "node_modules/@pulumi/aws/index.js"],
])("changing %s keeps the cached plans", (_what, file) => {
  const before = inputsDigest(root);
  write(file, "something else\n");
  expect(inputsDigest(root)).toBe(before);
});

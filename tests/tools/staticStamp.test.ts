import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { recordClean, upToDate } from "../../tools/staticStamp";

// `npm run static` skips its type-check and type-aware lint only while nothing they read has changed.

const root = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-static-stamp-"));
const stamp = path.join(root, "stamp.json");
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), text);
};
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");

/** What a program of this project reads: its own files and one package's declarations per folder. */
const programFiles = () =>
  [
    "index.ts",
    "settings/schema.json",
    "policies/rule.ts",
    "node_modules/@pulumi/aws/index.d.ts",
    "policies/node_modules/@pulumi/policy/index.d.ts",
  ].map((f) => path.join(root, f));

beforeEach(() => {
  write("tsconfig.json", JSON.stringify({ include: ["index.ts", "policies/**/*.ts", "components/**/*.ts"] }));
  write("eslint.config.mjs", "export default [];\n");
  write("index.ts", "export = 1;\n");
  write("settings/schema.json", "{}\n");
  write("policies/rule.ts", "export const rule = 1;\n");
  write("node_modules/.package-lock.json", "{}\n");
  write("node_modules/@pulumi/aws/index.d.ts", "export {};\n");
  write("policies/node_modules/.package-lock.json", "{}\n");
  write("policies/node_modules/@pulumi/policy/index.d.ts", "export {};\n");
  fs.rmSync(path.join(root, "components"), { recursive: true, force: true });
  recordClean(root, stamp, programFiles());
});

test("a run with the clean run's inputs is up to date; without a record it is not", () => {
  expect(upToDate(root, stamp)).toBe(true);
  expect(upToDate(root, path.join(root, "no-stamp.json"))).toBe(false);
});

test.each([
  ["a file of the program", "index.ts"],
  ["a JSON file the program imports", "settings/schema.json"],
  ["the lint's config", "eslint.config.mjs"],
  ["the tsconfig", "tsconfig.json"],
  ["the installed packages", "node_modules/.package-lock.json"],
  ["the policy pack's own packages", "policies/node_modules/.package-lock.json"],
])("changing %s runs everything again", (_what, file) => {
  write(file, `${read(file)} `);
  expect(upToDate(root, stamp)).toBe(false);
});

test("a new file of the tsconfig runs everything again", () => {
  write("components/new.ts", "export const x = 1;\n");
  expect(upToDate(root, stamp)).toBe(false);
});

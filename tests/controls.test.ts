import * as fs from "fs";
import * as path from "path";
import { policies } from "../policies/rules";
import { tableRows } from "./harness/markdown";

// The health-data controls map (docs/controls.md; LGPD, Lei 13.787/2018, HIPAA 45 CFR 164.312) names, for each
// control, the files that enforce it, the CrossGuard rules that guard it and the tests that prove it.
// Each of those names must exist: a renamed rule, a reworded test title or a moved file fails here.

const root = path.join(__dirname, "..");
const HEADING = "# Health-data controls";

/** The identifiers the table must cover, each in some row's Control cell. */
const REQUIRED_CONTROLS = [
  "LGPD Art. 46",
  "LGPD Art. 33",
  "Lei 13.787/2018",
  "HIPAA 164.312(a)",
  "HIPAA 164.312(b)",
  "HIPAA 164.312(c)",
  "HIPAA 164.312(d)",
  "HIPAA 164.312(e)",
];

interface ControlRow {
  control: string;
  enforcedBy: string;
  policy: string;
  provenBy: string;
}

/** The map's text: docs/controls.md, which starts with its heading. */
function controlsSection(document: string): string {
  if (!document.startsWith(`${HEADING}\n`))
    throw new Error(`docs/controls.md does not start with "${HEADING}"`);
  return document;
}

/** The table's rows as cells (header and separator dropped); a row without four cells is an error. */
function controlRows(section: string): ControlRow[] {
  const [header, separator, ...body] = tableRows(section);
  if (header?.join(" | ") !== "Control | Enforced by | Policy | Proven by") {
    throw new Error(
      `the controls table's header is "${header?.join(" | ")}", not "Control | Enforced by | Policy | Proven by"`,
    );
  }
  if (!separator?.every((cell) => /^:?-+:?$/.test(cell))) {
    throw new Error("the controls table's second line is not its separator row");
  }
  return body.map((row, i) => {
    if (row.length !== 4)
      throw new Error(`row ${i + 1} of the controls table has ${row.length} cells, not 4`);
    const [control, enforcedBy, policy, provenBy] = row;
    return { control, enforcedBy, policy, provenBy };
  });
}

/** Every `backticked` token of a cell. */
const backticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

/** A token that names a file or folder of the repository: `a/b/c.ts`, `scripts/`, `Pulumi.production.yaml`. */
const isRepoPath = (token: string) =>
  /^[\w.-]+(\/[\w.-]+)*\/?$/.test(token) &&
  (token.includes("/") || /\.(ts|ya?ml|json|sh|md|pem)$/.test(token));

/** `tests/<path>.test.ts` › "title" references of a Proven by cell. */
const testReferences = (cell: string) =>
  [...cell.matchAll(/`([^`]+)`\s*›\s*"([^"]+)"/g)].map((m) => ({ file: m[1], title: m[2] }));

/**
 * The titles a test file gives as the first argument of it(, test( or describe( (with .only/.skip/...),
 * written as a plain string literal: "...", '...' or a template literal without `${}`.
 */
function literalTitles(source: string): Set<string> {
  const call =
    /(?<![\w.$])(?:it|test|describe)(?:\.(?:only|skip|concurrent|failing|todo))?\(\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\$]|\\.|\$(?!\{))*)`)/g;
  return new Set([...source.matchAll(call)].map((m) => (m[1] ?? m[2] ?? m[3]).replace(/\\(.)/g, "$1")));
}

/** What the filesystem and the pack know, so the checker can run on made-up rows too. */
interface Known {
  policyNames: ReadonlySet<string>;
  /** A repository-relative file's text, or undefined when there is no such file. */
  read(relative: string): string | undefined;
  exists(relative: string): boolean;
}

const repository: Known = {
  policyNames: new Set(policies.map((p) => p.name)),
  read: (relative) => {
    const file = path.join(root, relative);
    return fs.existsSync(file) && fs.statSync(file).isFile() ? fs.readFileSync(file, "utf8") : undefined;
  },
  exists: (relative) => fs.existsSync(path.join(root, relative)),
};

/** Every name in the row that does not exist: policies, test files and titles, repository paths. */
function rowProblems(row: ControlRow, known: Known): string[] {
  const problems: string[] = [];
  const where = row.control.slice(0, 40);

  const policyNames = backticked(row.policy);
  if (policyNames.length === 0 && row.policy !== "—") {
    problems.push(`${where}: the Policy cell names no policy in backticks and is not "—"`);
  }
  for (const name of policyNames) {
    if (!known.policyNames.has(name)) problems.push(`${where}: no policy is registered as "${name}"`);
  }

  const references = testReferences(row.provenBy);
  if (references.length === 0) problems.push(`${where}: the Proven by cell names no test`);
  if (references.length !== backticked(row.provenBy).length) {
    problems.push(`${where}: every \`file\` in the Proven by cell must be followed by › "test title"`);
  }
  for (const { file, title } of references) {
    if (!/^tests\/.+\.(test|spec)\.ts$/.test(file)) {
      problems.push(`${where}: ${file} is not a tests/**/*.test.ts or *.spec.ts file`);
      continue;
    }
    const source = known.read(file);
    if (source === undefined) problems.push(`${where}: ${file} does not exist`);
    else if (!literalTitles(source).has(title)) problems.push(`${where}: ${file} has no test "${title}"`);
  }

  const paths = backticked(row.enforcedBy).filter(isRepoPath);
  if (paths.length === 0) problems.push(`${where}: the Enforced by cell names no file of the repository`);
  for (const file of paths) {
    if (!known.exists(file)) problems.push(`${where}: ${file} does not exist`);
  }
  return problems;
}

/** The required identifiers no row's Control cell contains. */
const missingControls = (rows: ControlRow[]) =>
  REQUIRED_CONTROLS.filter((id) => !rows.some((row) => row.control.includes(id)));

describe("the health-data controls map (docs/controls.md)", () => {
  const document = fs.readFileSync(path.join(root, "docs", "controls.md"), "utf8");
  const rows = controlRows(controlsSection(document));

  test("is linked from the README's documentation table", () => {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    expect(readme).toMatch(/^\| \[docs\/controls\.md\]\(docs\/controls\.md\) +\| the health-data controls/m);
  });

  test("has a row for each LGPD, Lei 13.787/2018 and HIPAA 164.312 control", () => {
    expect(missingControls(rows)).toEqual([]);
  });

  test("names only registered policies, existing tests and existing files", () => {
    expect(rows.flatMap((row) => rowProblems(row, repository))).toEqual([]);
  });

  test("says what is not met", () => {
    const section = controlsSection(document);
    expect(section).toMatch(/\n\*\*Not met\*\*/);
    expect(rows.some((row) => /not met|partly/i.test(row.enforcedBy))).toBe(true);
  });

  test("the checks are real: a misspelt policy, a missing title, file or path and a missing control are found", () => {
    const good: ControlRow = {
      control: "LGPD Art. 46 (encryption at rest)",
      enforcedBy: "`components/data/index.ts` RDS `storageEncrypted`",
      policy: "`aws-rds-instance-storage-encrypted`",
      provenBy: '`tests/components/data/data.test.ts` › "the parameter group forces TLS"',
    };
    expect(rowProblems(good, repository)).toEqual([]);
    const bad: ControlRow = {
      control: "HIPAA 164.312(c) integrity",
      enforcedBy: "`components/data/indexx.ts` and `Pulumi.prod.yaml`",
      policy: "`aws-rds-instance-storage-encryptd`<br>`aws-kms-key-rotation-enabled`",
      provenBy:
        '`tests/components/data/data.test.ts` › "the parameter group forces TLS 1.3"<br>' +
        '`tests/components/data/nope.test.ts` › "the parameter group forces TLS"<br>' +
        "`tests/components/data/data.test.ts` without a title",
    };
    expect(rowProblems(bad, repository)).toEqual([
      'HIPAA 164.312(c) integrity: no policy is registered as "aws-rds-instance-storage-encryptd"',
      'HIPAA 164.312(c) integrity: every `file` in the Proven by cell must be followed by › "test title"',
      'HIPAA 164.312(c) integrity: tests/components/data/data.test.ts has no test "the parameter group forces TLS 1.3"',
      "HIPAA 164.312(c) integrity: tests/components/data/nope.test.ts does not exist",
      "HIPAA 164.312(c) integrity: components/data/indexx.ts does not exist",
      "HIPAA 164.312(c) integrity: Pulumi.prod.yaml does not exist",
    ]);
    expect(rowProblems({ ...good, policy: "none", provenBy: "a test" }, repository)).toEqual([
      'LGPD Art. 46 (encryption at rest): the Policy cell names no policy in backticks and is not "—"',
      "LGPD Art. 46 (encryption at rest): the Proven by cell names no test",
    ]);
    expect(missingControls([good, bad])).toEqual(REQUIRED_CONTROLS.filter((id) => !/46|\(c\)/.test(id)));
  });

  test("titles are read only where a test is declared, as plain literals", () => {
    const source = [
      'describe("a group", () => {',
      "  it('it\\'s one', () => {});",
      "  test(`a template`, () => {});",
      "  test(`a ${name}`, () => {});",
      '  test.each(["x"])("%s each", () => {});',
      '  expect(/x/.test("not a title")).toBe(false);',
      "  test(",
      '    "a wrapped title",',
      "    () => {},",
      "  );",
      "});",
    ].join("\n");
    expect([...literalTitles(source)].sort()).toEqual(
      ["a group", "a template", "a wrapped title", "it's one"].sort(),
    );
  });
});

import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../tools/engine/stackConfig";

// The pieces of `npm run mutate` that run outside Stryker's own code: the command's arguments, the
// config's folders, and the test-file filter a mutant's run goes through (docs/development.md#mutation-testing).

/**
 * Runs `body` as an ES module (Stryker's config and plugins are .mjs, which jest's CommonJS cannot
 * import), with `root` the project's folder; returns what it prints, parsed as JSON.
 */
function inModule(body: string, env: NodeJS.ProcessEnv = {}): unknown {
  const script = `const root = ${JSON.stringify(PROJECT_ROOT)};\n${body}`;
  return JSON.parse(
    execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, ...env },
    }),
  );
}

describe("npm run mutate", () => {
  test("refuses what is not a folder it mutates, naming what is allowed, before running anything", () => {
    const run = spawnSync("bash", [path.join(PROJECT_ROOT, "tools/mutate.sh"), "tools"], {
      encoding: "utf8",
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'mutate: "tools" is not a folder to mutate; allowed: settings, policies, components, or one area or file of them such as policies/aws or settings/edge.ts (or Stryker flags such as --force)\n',
    );
  });

  const config = (target: string) =>
    inModule(
      `const { default: c } = await import(root + "/stryker.config.mjs");
       console.log(JSON.stringify({ mutate: c.mutate, thresholds: c.thresholds, incremental: c.incrementalFile,
         credit: process.env.HEALTHFLOW_MUTATION_CREDIT_PLANS }));`,
      { HEALTHFLOW_MUTATE: target },
    ) as { thresholds: { break: number } };

  test("each folder is its own run; an area or a file of one is a run of its own files", () => {
    expect(config("settings")).toMatchObject({
      mutate: ["settings/**/*.ts", "!settings/**/node_modules/**", "!policies/index.ts"],
      incremental: "reports/mutation/settings.incremental.json",
      credit: "0",
    });
    expect(config("components/edge")).toMatchObject({
      mutate: ["components/edge/**/*.ts", "!components/edge/**/node_modules/**", "!policies/index.ts"],
      incremental: "reports/mutation/components-edge.incremental.json",
      credit: "1",
    });
    expect(config("policies/aws")).toMatchObject({
      mutate: ["policies/aws/**/*.ts", "!policies/aws/**/node_modules/**", "!policies/index.ts"],
      incremental: "reports/mutation/policies-aws.incremental.json",
      credit: "0",
    });
    expect(config("settings/edge.ts")).toMatchObject({
      mutate: ["settings/edge.ts", "!policies/index.ts"],
      incremental: "reports/mutation/settings-edge.ts.incremental.json",
    });
    // No folder may break below 80 % where the issue sets the floor (settings/, policies/).
    expect(config("settings").thresholds.break).toBeGreaterThanOrEqual(80);
    expect(config("policies").thresholds.break).toBeGreaterThanOrEqual(80);
  });

  test("the weekly workflow mutates every area and file of settings/, policies/ and components/", () => {
    const workflow = yaml.load(
      fs.readFileSync(path.join(PROJECT_ROOT, ".github/workflows/mutation.yml"), "utf8"),
    ) as {
      jobs: { mutate: { strategy: { matrix: { folder: string[] } } } };
    };
    const hasCode = (dir: string): boolean =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .some((entry) =>
          entry.isDirectory() ? hasCode(path.join(dir, entry.name)) : entry.name.endsWith(".ts"),
        );
    // Each part a run of its own: a TypeScript file, or a folder with TypeScript in it (not the policy
    // pack's own node_modules, nor policies/index.ts, which the config leaves out).
    const parts = (folder: string) =>
      fs
        .readdirSync(path.join(PROJECT_ROOT, folder), { withFileTypes: true })
        .filter((entry) =>
          entry.isDirectory()
            ? entry.name !== "node_modules" && hasCode(path.join(PROJECT_ROOT, folder, entry.name))
            : entry.name.endsWith(".ts"),
        )
        .map((entry) => `${folder}/${entry.name}`)
        .filter((part) => part !== "policies/index.ts");
    expect([...workflow.jobs.mutate.strategy.matrix.folder].sort()).toEqual(
      [...parts("settings"), ...parts("policies"), ...parts("components")].sort(),
    );
  });

  test("a run resumes from the machine's kept incremental file, and keeps the one it leaves", () => {
    // The real tools/mutate.sh in a scratch copy of the project's layout: its provisioning stubbed
    // (not what is tested here), Stryker stood in for by a script that records what it found.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mutate-keep-"));
    try {
      fs.mkdirSync(path.join(root, "tools"));
      fs.copyFileSync(path.join(PROJECT_ROOT, "tools/mutate.sh"), path.join(root, "tools/mutate.sh"));
      fs.writeFileSync(path.join(root, "tools/provision.sh"), "exit 0\n");
      const keep = path.join(root, "kept");
      const fake = path.join(root, "stryker.js");
      fs.writeFileSync(
        fake,
        `const fs = require("fs");
         const file = "reports/mutation/" + process.env.HEALTHFLOW_MUTATE.replace("/", "-") + ".incremental.json";
         fs.appendFileSync("found.txt", (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "none") + "\\n");
         fs.writeFileSync(file, "after " + process.env.HEALTHFLOW_MUTATE);`,
      );
      const mutate = (target: string) =>
        spawnSync("bash", [path.join(root, "tools/mutate.sh"), target], {
          encoding: "utf8",
          env: { ...process.env, HEALTHFLOW_MUTATION_KEEP: keep, HEALTHFLOW_STRYKER: fake },
        });
      expect(mutate("settings/edge.ts").status).toBe(0);
      expect(fs.readFileSync(path.join(keep, "settings-edge.ts.incremental.json"), "utf8")).toBe(
        "after settings/edge.ts",
      );
      // A new sitting: the work tree laid anew (no reports/), the machine's cache still there.
      fs.rmSync(path.join(root, "reports"), { recursive: true });
      fs.writeFileSync(path.join(keep, "settings-edge.ts.incremental.json"), "from an earlier sitting");
      const second = mutate("settings/edge.ts");
      expect(second.stdout).toContain("mutate: resuming settings/edge.ts from");
      expect(fs.readFileSync(path.join(root, "found.txt"), "utf8")).toBe("none\nfrom an earlier sitting\n");
      // A file already in reports/ is the newer one: the cache never overwrites it.
      fs.writeFileSync(path.join(keep, "settings-edge.ts.incremental.json"), "stale");
      mutate("settings/edge.ts");
      expect(fs.readFileSync(path.join(root, "found.txt"), "utf8").split("\n")[2]).toBe(
        "after settings/edge.ts",
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test("a folder outside the three is refused with what is allowed", () => {
    expect(() => config("../etc")).toThrow(
      /HEALTHFLOW_MUTATE is "\.\.\/etc"; allowed: settings, policies, components, or <folder>\/<area> or <folder>\/<file>\.ts/,
    );
  });
});

describe("survivors are listed as they are found (tools/mutation/survivors.mjs)", () => {
  test("a line each: where (lines and columns from 1, as the report's schema counts), mutator, code, replacement", () => {
    const line = inModule(
      `const { survivorLine } = await import(root + "/tools/mutation/survivors.mjs");
       console.log(JSON.stringify(survivorLine({ fileName: "/p/settings/x.ts", mutatorName: "StringLiteral",
         replacement: '""', status: "Survived", location: { start: { line: 2, column: 11 }, end: { line: 2, column: 15 } } },
         'a\\nconst x = "ab";\\n', "/p")));`,
    );
    expect(line).toBe('settings/x.ts:2:11 StringLiteral "\\"ab\\"" -> "\\"\\"" (Survived)');
  });
});

describe("a mutant's run loads only the test files that reached it (tests/harness/mutationFilter.js)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-mutation-map-"));
  const map = path.join(dir, "files.jsonl");
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const filter = (mutant: string | undefined, tests: string[]) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          "-e",
          `require(${JSON.stringify(path.join(PROJECT_ROOT, "tests/harness/mutationFilter.js"))})(${JSON.stringify(tests)}).then((r) => console.log(JSON.stringify(r.filtered)))`,
        ],
        {
          encoding: "utf8",
          env: { ...process.env, HEALTHFLOW_MUTATION_MAP: map, __STRYKER_ACTIVE_MUTANT__: mutant ?? "" },
        },
      ),
    );

  test("picks the files whose tests reached the mutant; all of them for a mutant the map lacks", () => {
    fs.writeFileSync(
      map,
      [
        JSON.stringify({ file: "/t/a.test.ts", mutants: ["1", "2"] }),
        JSON.stringify({ file: "/t/b.test.ts", mutants: ["2"] }),
      ].join("\n") + "\n",
    );
    const all = ["/t/a.test.ts", "/t/b.test.ts", "/t/c.test.ts"];
    expect(filter("1", all)).toEqual(["/t/a.test.ts"]);
    expect(filter("2", all)).toEqual(["/t/a.test.ts", "/t/b.test.ts"]);
    expect(filter("99", all)).toEqual(all);
  });

  test("the first run (no mutant active) runs everything and starts the map afresh", () => {
    fs.writeFileSync(map, JSON.stringify({ file: "/t/a.test.ts", mutants: ["1"] }) + "\n");
    expect(filter(undefined, ["/t/a.test.ts", "/t/b.test.ts"])).toEqual(["/t/a.test.ts", "/t/b.test.ts"]);
    expect(fs.existsSync(map)).toBe(false);
  });
});

describe("the mutants set aside (tools/mutation/ignored.mjs)", () => {
  const ignored = inModule(
    `const { MUTATION_IGNORED } = await import(root + "/tools/mutation/ignored.mjs");
     console.log(JSON.stringify(MUTATION_IGNORED));`,
  ) as { file: string; code: string; reason: string }[];

  test("each names code its file still has, with a reason that says why it cannot matter", () => {
    // Under a mutation run this file runs in Stryker's sandbox, whose sources are instrumented (a
    // mutated literal is rewritten around): the project's own sources are where tools/mutate.sh ran.
    const sources = process.env.HEALTHFLOW_MUTATION_SOURCES ?? PROJECT_ROOT;
    for (const entry of ignored) {
      expect(fs.readFileSync(path.join(sources, entry.file), "utf8")).toContain(entry.code);
      expect(entry.reason).toMatch(/^(Equivalent|Cosmetic): \S/);
    }
  });
});

describe("a mutant's test files run in an order that kills it soonest (tests/harness/mutationSequencer.js)", () => {
  test("the folder under mutation's own test files first, then the rest, quickest first within each", () => {
    const files = [
      "/r/tests/readme.test.ts",
      "/r/tests/never-timed.test.ts",
      "/r/tests/policies/runtime.test.ts",
      "/r/tests/plan/plan.test.ts",
      "/r/tests/policies/suite.test.ts",
    ];
    // Seconds each file took in jest's last run, as jest's cache keeps them ([status, duration]).
    const timed = {
      "/r/tests/readme.test.ts": [0, 2],
      "/r/tests/policies/runtime.test.ts": [0, 9],
      "/r/tests/plan/plan.test.ts": [0, 1],
      "/r/tests/policies/suite.test.ts": [0, 4],
    };
    const order = execFileSync(
      process.execPath,
      [
        "-e",
        `const Sequencer = require(${JSON.stringify(path.join(PROJECT_ROOT, "tests/harness/mutationSequencer.js"))});
         const sequencer = new Sequencer({});
         const context = { config: { cache: false } };
         sequencer._cache.set(context, ${JSON.stringify(timed)});
         const files = ${JSON.stringify(files)};
         console.log(JSON.stringify(sequencer.sort(files.map((p) => ({ path: p, context }))).map((t) => t.path)));`,
      ],
      { encoding: "utf8", env: { ...process.env, HEALTHFLOW_MUTATE: "policies/aws" } },
    );
    expect(JSON.parse(order)).toEqual([
      "/r/tests/policies/suite.test.ts",
      "/r/tests/policies/runtime.test.ts",
      "/r/tests/plan/plan.test.ts",
      "/r/tests/readme.test.ts",
      "/r/tests/never-timed.test.ts",
    ]);
  });
});

describe("text set aside by rule (tools/mutation/ignored.mjs)", () => {
  /** The pieces of `source` that the named rules of ignored.mjs set aside, as babel prints them. */
  const setAside = (rules: string[], source: string) =>
    inModule(
      `const ignored = await import(root + "/tools/mutation/ignored.mjs");
       const { createRequire } = await import("module");
       const babel = createRequire(root + "/package.json")("@babel/core");
       const ast = babel.parseSync(${JSON.stringify(source)}, { configFile: false, babelrc: false });
       const found = [];
       babel.traverse(ast, { enter(p) { if (${JSON.stringify(rules)}.some((rule) => ignored[rule](p))) found.push(p.toString()); } });
       console.log(JSON.stringify(found));`,
    );

  test("a rule's tags, mirrors, advice and not-applicable reasons are; its name, level, description and messages, and tags elsewhere, are not", () => {
    const source = `
      const rule = { name: "r", enforcementLevel: "mandatory", description: "D.", mirrors: { other: ["X"] }, tags: ["tls"], remediationSteps: "Do." };
      args.notApplicable("Only buckets.");
      reportViolation("Fix it.");
      const bucket = { bucket: "b", tags: { purpose: "backups" } };
    `;
    expect(setAside(["isRuleLabels", "isNotApplicableReason"], source)).toEqual([
      '{\n  other: ["X"]\n}',
      '["tls"]',
      '"Do."',
      '"Only buckets."',
    ]);
  });

  test("a JSON-schema setting's description and stringList's are; a rule's own description and values are not", () => {
    const source = `
      const schema = { retention: { type: "integer", description: "Days kept.", default: 35 } };
      const tags = stringList(\`Tags that float\`, ["latest"]);
      const rule = { name: "r", description: "The bucket is encrypted.", enforcementLevel: "mandatory" };
    `;
    expect(setAside(["isSchemaDescription"], source)).toEqual(['"Days kept."', "`Tags that float`"]);
  });
});

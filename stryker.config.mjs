import * as os from "os";
import * as path from "path";

// Mutation testing (`npm run mutate`, tools/mutate.sh): Stryker changes one thing at a time in the
// code (a literal, a condition, an operator), runs the tests that reach it, and counts a mutant
// that no test notices as a survivor. docs/development.md#mutation-testing says how to read the report.
//
// One folder a run (HEALTHFLOW_MUTATE names it; tools/mutate.sh runs each), so that each folder has
// its own score, its own breaking threshold and its own incremental file. A run may also take one
// area or file of a folder (`components/edge`, `policies/aws`, `settings/edge.ts`): the weekly
// workflow runs every folder as its parts, side by side, each within a job's six hours; a folder's
// score is then the sum of its parts' mutants.

const FOLDERS = {
  // `break`: a run below it fails. For settings/ and policies/ the floor of 80 %, for
  // components/ a provisional 60 %, until each folder's full run has a score to set it at.
  settings: { high: 95, low: 85, break: 80 },
  policies: { high: 95, low: 85, break: 80 },
  components: { high: 90, low: 75, break: 60 },
};

const target = process.env.HEALTHFLOW_MUTATE ?? "settings";
const folder = target.split("/")[0];
if (!(folder in FOLDERS) || !/^[a-z]+(\/[a-z]+(\.ts)?)?$/.test(target))
  throw new Error(
    `HEALTHFLOW_MUTATE is "${target}"; allowed: ${Object.keys(FOLDERS).join(", ")}, or <folder>/<area> or <folder>/<file>.ts`,
  );
/** What the run mutates: a file, or every TypeScript file under a folder. */
const sources = target.endsWith(".ts") ? [target] : [`${target}/**/*.ts`, `!${target}/**/node_modules/**`];
/** The run's name in report and incremental file names. */
const run = target.replace("/", "-");

// What the stack plans reach counts for the tests that read them in the components/ run only
// (tests/harness/mutation.ts says why). Set here, before Stryker starts its workers, which inherit it.
process.env.HEALTHFLOW_MUTATION_CREDIT_PLANS = folder === "components" ? "1" : "0";
// Where tools/mutation/survivors.mjs lists survivors as they are found (the HTML report waits for the end).
process.env.HEALTHFLOW_MUTATION_SURVIVORS = `reports/mutation/${run}.survivors.txt`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "jest",
  jest: {
    projectType: "custom",
    configFile: "jest.config.js",
    // Credits each test with what its file and the plans it read reached (tests/harness/mutation.ts),
    // and loads only the test files that reached the mutant (tests/harness/mutationFilter.js).
    config: {
      setupFilesAfterEnv: ["<rootDir>/tests/harness/mutationSetup.ts"],
      filter: "<rootDir>/tests/harness/mutationFilter.js",
      // Skips what is left of a run once a test has killed its mutant, quickest files first.
      // (A path: Stryker loads the environment itself, without jest's <rootDir>.)
      testEnvironment: path.resolve("tests/harness/mutationEnvironment.js"),
      testSequencer: "<rootDir>/tests/harness/mutationSequencer.js",
    },
    // Every test that reached a mutant runs, wherever it lives (plans reach code no import names).
    enableFindRelatedTests: false,
  },
  checkers: ["typescript"],
  // The checker reads the folder's own code (and, for components, what it imports from settings/):
  // a mutant that breaks only a test's types runs, and fails or survives there (tests are type-stripped).
  tsconfigFile: `tools/mutation/tsconfig.${folder}.json`,
  // Each mutant runs only the tests that reached it in the first run.
  coverageAnalysis: "perTest",
  // policies/index.ts only hands the rules to the CLI's server (tests/harness/policyServer.ts runs it).
  mutate: [...sources, "!policies/index.ts"],
  ignorers: ["healthflow"],
  plugins: ["@stryker-mutator/*", "./tools/mutation/ignored.mjs", "./tools/mutation/survivors.mjs"],
  incremental: true,
  incrementalFile: `reports/mutation/${run}.incremental.json`,
  reporters: ["clear-text", "progress", "html", "json", "healthflow-survivors"],
  htmlReporter: { fileName: `reports/mutation/${run}.html` },
  jsonReporter: { fileName: `reports/mutation/${run}.json` },
  clearTextReporter: { reportMutants: false, reportTests: false, allowEmojis: false },
  thresholds: FOLDERS[folder],
  concurrency: 2,
  // The first run is the whole suite in one process, with every stack planned.
  dryRunTimeoutMinutes: 20,
  // Added to 1.5 x the reaching tests' time in the first run before a mutant counts as timed out (an
  // endless loop, say): a Timeout counts as killed, so it must not come from a slow run. A mutant's
  // run loads its test files and starts program servers, time no test's own duration counts (and a
  // components/ mutant plans every stack afresh); 20 s was too little for a mutant that 519 tests reach.
  timeoutMS: 60000,
  // Outside the project: jest ignores anything under node_modules, and nothing scans the copies.
  tempDirName: path.join(os.tmpdir(), "healthflow-stryker"),
  ignorePatterns: ["/.plan", "/reports", "/coverage", "/bin", "/.dev-certs"],
};

// The test harness under mutation testing (`npm run mutate`, Stryker: stryker.config.mjs).
//
// Stryker instruments the code it mutates and learns, in its first run with every mutant off, which
// tests reach which mutants; afterwards it runs each mutant against only those tests. It records
// what the test process executes (the `__stryker__` global its instrumented code keeps:
// @stryker-mutator/instrumenter, syntax-helpers.ts). Much of our code runs elsewhere: in the program
// servers (tests/harness/programServer.ts), both for the global setup's plans and for the runs tests
// ask for. So the servers send back what their instrumented code reached with every answer, and it
// is credited here to the test that asked (or, for the global setup's plans, to every test of a file
// that read the plan). Without this, a mutant reached only through a plan would count as covered by
// no test, and Stryker would never run it.
//
// The active mutant needs no forwarding: Stryker's jest runner sets `__STRYKER_ACTIVE_MUTANT__` in
// the environment before each run (jest-runner, jest-test-runner.ts mutantRun), the global setup
// forks the servers after that, and their instrumented code reads it when it loads.

/** Mutant id → times reached: the shape of Stryker's coverage records. */
export type MutantHits = Record<string, number>;

interface StrykerNamespace {
  currentTestId?: string;
  mutantCoverage?: { static: MutantHits; perTest: Record<string, MutantHits> };
}

/** Set by the mutate command (tools/mutate.ts) for every process of a mutation run. */
const MUTATION_RUN_VARIABLE = "HEALTHFLOW_MUTATION_RUN";

/** Whether this process is part of a mutation run (then plans are made afresh for every mutant). */
export function inMutationRun(): boolean {
  return process.env[MUTATION_RUN_VARIABLE] === "1";
}

/** Stryker's namespace, when code it instrumented has run in this process. */
function namespace(): StrykerNamespace | undefined {
  return (globalThis as { __stryker__?: StrykerNamespace }).__stryker__;
}

/** What this process's instrumented code has reached since the last call (a program server's side). */
export function takeCoverage(): MutantHits | undefined {
  const coverage = namespace()?.mutantCoverage;
  if (!coverage) return undefined;
  const hits: MutantHits = { ...coverage.static };
  for (const perTest of Object.values(coverage.perTest)) add(hits, perTest);
  coverage.static = {};
  coverage.perTest = {};
  return hits;
}

function add(into: MutantHits, hits: MutantHits): void {
  for (const [id, count] of Object.entries(hits)) into[id] = (into[id] ?? 0) + count;
}

/** Credits `hits` (reached in a program server) to the test running now, or to the file's load. */
export function creditCoverage(hits: MutantHits | undefined): void {
  const ns = namespace();
  if (!hits || !ns) return;
  const coverage = (ns.mutantCoverage ??= { static: {}, perTest: {} });
  if (ns.currentTestId) add((coverage.perTest[ns.currentTestId] ??= {}), hits);
  else add(coverage.static, hits);
}

/**
 * What this test file reached outside any test: while it loaded (its imports' module-level code,
 * plans read at its top level) and in `beforeAll` hooks. Stryker would count it as reached by no
 * test in particular ("static") and run every test of the suite for each such mutant; it is the
 * same code every test of this file starts from, so it is credited to each of them instead.
 */
const fileHits: MutantHits = {};
/** The static record as it stood when this file started (other files' share stays theirs). */
let staticBefore: MutantHits = {};
/** The plans this file has read, credited to every test that starts after the read. */
const planHits = new Map<string, MutantHits>();
/** The tests of this file, for the file's share of the map tests/harness/mutationFilter.js reads. */
const testsOfFile = new Set<string>();

/** Called once the setup file loads, before the test file does. */
export function startFile(): void {
  const coverage = namespace()?.mutantCoverage;
  staticBefore = coverage ? { ...coverage.static } : {};
}

/** Moves what was reached outside tests since the file started into the file's share. */
function collectFileHits(coverage: NonNullable<StrykerNamespace["mutantCoverage"]>): void {
  for (const [id, count] of Object.entries(coverage.static)) {
    const own = count - (staticBefore[id] ?? 0);
    if (own > 0) fileHits[id] = (fileHits[id] ?? 0) + own;
  }
  coverage.static = { ...staticBefore };
}

/**
 * Set for the components/ run only (stryker.config.mjs): there the stack plans are what tests read
 * of the components. settings/ and policies/ are scored by the tests that call their code (directly,
 * or through a program run they ask for), which keeps each of their mutants to a few test files
 * instead of every file that reads a plan.
 */
const CREDIT_PLANS_VARIABLE = "HEALTHFLOW_MUTATION_CREDIT_PLANS";

/** Whether the plans this run's tests read count as reaching the mutants (the components/ run). */
export function creditingPlans(): boolean {
  return process.env[CREDIT_PLANS_VARIABLE] === "1";
}

/** Records that this file read a plan that reached `hits`, and credits the test running now. */
export function readPlanCoverage(plan: string, hits: MutantHits | undefined): void {
  if (!creditingPlans()) return;
  if (!hits || planHits.has(plan)) return;
  planHits.set(plan, hits);
  if (namespace()?.currentTestId) creditCoverage(hits);
}

/** Credits the file's share and every plan read so far to the test that starts now (a `beforeEach`). */
export function creditFileToCurrentTest(): void {
  const ns = namespace();
  if (!ns?.mutantCoverage || !ns.currentTestId) return;
  collectFileHits(ns.mutantCoverage);
  testsOfFile.add(ns.currentTestId);
  creditCoverage(fileHits);
  for (const hits of planHits.values()) creditCoverage(hits);
}

/** Every mutant a test of this file reached: its line in the map of test files by mutant. */
export function mutantsOfFile(): string[] {
  const coverage = namespace()?.mutantCoverage;
  const ids = new Set(Object.keys(fileHits));
  for (const test of testsOfFile) for (const id of Object.keys(coverage?.perTest[test] ?? {})) ids.add(id);
  return [...ids];
}

// jest's node environment, for mutation runs only (stryker.config.mjs; Stryker wraps it in its own
// to record coverage). Once a test has failed with a mutant active, the mutant is killed: the rest of
// that run's tests and their hooks are skipped, not run to no purpose (jest's own `bail` ends the
// process, so Stryker turns it off). tests/harness/mutationSequencer.js runs the quickest files first.
// Plain JavaScript: jest requires it untransformed.
const { TestEnvironment } = require("jest-environment-node");

/** Mutants that a test has failed for, kept in the jest process across its test files. */
const KILLED = Symbol.for("healthflow.mutation.killed");
const killed = (globalThis[KILLED] ??= new Set());

class MutationEnvironment extends TestEnvironment {
  async handleTestEvent(event, state) {
    await super.handleTestEvent?.(event, state);
    const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;
    if (!mutant) return;
    if (event.name === "test_done" && event.test.errors.length > 0) killed.add(mutant);
    if (!killed.has(mutant)) return;
    // Both events come before the block's hooks or the test's own run (jest-circus jestAdapterInit).
    if (event.name === "run_describe_start") event.describeBlock.mode = "skip";
    if (event.name === "test_start") event.test.mode = "skip";
  }
}

module.exports = MutationEnvironment;

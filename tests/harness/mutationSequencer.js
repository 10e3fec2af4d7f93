// jest's test order in mutation runs (stryker.config.mjs): the files that took least time in jest's
// last runs first, files it has not timed last. With tests/harness/mutationEnvironment.js skipping
// what is left once a test has killed the mutant, most mutants cost only their quickest tests.
// Plain JavaScript: jest requires it untransformed.
const Sequencer = require("@jest/test-sequencer").default;

class QuickestFirst extends Sequencer {
  sort(tests) {
    const duration = (test) => this._getCache(test)[test.path]?.[1] ?? Number.POSITIVE_INFINITY;
    return [...tests].sort((a, b) => duration(a) - duration(b));
  }
}

module.exports = QuickestFirst;

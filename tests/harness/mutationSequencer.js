// jest's test order in mutation runs (stryker.config.mjs): first the test files of the folder under
// mutation (tests/<folder>/, e.g. tests/policies/ for a mutant of policies/: they kill most of its
// mutants), then the rest; within each, the files that took least time in jest's last runs first,
// files it has not timed last. With tests/harness/mutationEnvironment.js skipping what is left once a
// test has killed the mutant, most mutants cost only their quickest tests.
// Plain JavaScript: jest requires it untransformed.
const path = require("path");
const Sequencer = require("@jest/test-sequencer").default;

/** The folder under mutation (HEALTHFLOW_MUTATE: settings, policies, components, or a part of one). */
const folder = (process.env.HEALTHFLOW_MUTATE ?? "").split("/")[0];

class OwnFolderQuickestFirst extends Sequencer {
  sort(tests) {
    const own = (test) =>
      folder !== "" && test.path.includes(`${path.sep}tests${path.sep}${folder}${path.sep}`) ? 0 : 1;
    const duration = (test) => this._getCache(test)[test.path]?.[1] ?? Number.POSITIVE_INFINITY;
    return [...tests].sort((a, b) => own(a) - own(b) || duration(a) - duration(b));
  }
}

module.exports = OwnFolderQuickestFirst;

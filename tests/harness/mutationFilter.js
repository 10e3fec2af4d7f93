// Jest's test-file filter in mutation runs (stryker.config.mjs): a mutant's run loads only the test
// files whose tests reached it in Stryker's first run (tests/harness/mutationSetup.ts writes the map
// then), not all of them with most tests skipped. Stryker still picks the tests inside those files.
// A mutant the map does not know runs every file. Plain JavaScript: jest requires it untransformed.
const fs = require("fs");
const path = require("path");

/** One JSON line per test file of the first run: `{ file, mutants }` (in the sandbox Stryker tests). */
const MUTANT_FILES_MAP =
  process.env.HEALTHFLOW_MUTATION_MAP ?? path.join(__dirname, "..", "..", ".mutation", "files.jsonl");

let loaded = { stamp: "", byMutant: new Map() };

function byMutant() {
  let stamp = "";
  try {
    const stat = fs.statSync(MUTANT_FILES_MAP);
    stamp = `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return new Map();
  }
  if (stamp === loaded.stamp) return loaded.byMutant;
  const map = new Map();
  for (const line of fs.readFileSync(MUTANT_FILES_MAP, "utf8").split("\n")) {
    if (!line) continue;
    const { file, mutants } = JSON.parse(line);
    for (const id of mutants) map.set(id, [...(map.get(id) ?? []), file]);
  }
  loaded = { stamp, byMutant: map };
  return map;
}

module.exports = async function filter(testPaths) {
  const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;
  if (!mutant) {
    // The first run, every mutant off: it writes the map afresh.
    fs.rmSync(MUTANT_FILES_MAP, { force: true });
    return { filtered: testPaths };
  }
  const files = byMutant().get(mutant);
  if (!files) return { filtered: testPaths };
  const wanted = new Set(files);
  return { filtered: testPaths.filter((test) => wanted.has(test)) };
};
module.exports.MUTANT_FILES_MAP = MUTANT_FILES_MAP;

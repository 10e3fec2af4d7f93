import * as fs from "fs";
import * as path from "path";
import { creditFileToCurrentTest, mutantsOfFile, startFile } from "./mutation";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MUTANT_FILES_MAP } = require("./mutationFilter") as { MUTANT_FILES_MAP: string };

// Only in mutation runs (stryker.config.mjs adds this file to jest's setupFilesAfterEnv): each test is
// credited with what its file reached outside tests and with the plans it read
// (tests/harness/mutation.ts), and the first run leaves, for each test file, the mutants its tests
// reached (tests/harness/mutationFilter.js reads it for every later run).
startFile();
beforeEach(creditFileToCurrentTest);
afterAll(() => {
  if (process.env.__STRYKER_ACTIVE_MUTANT__) return;
  const file = expect.getState().testPath;
  fs.mkdirSync(path.dirname(MUTANT_FILES_MAP), { recursive: true });
  fs.appendFileSync(MUTANT_FILES_MAP, JSON.stringify({ file, mutants: mutantsOfFile() }) + "\n");
});

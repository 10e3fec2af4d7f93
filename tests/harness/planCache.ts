import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { filesDigest } from "../../tools/digest";
import { PROJECT_ROOT } from "../../tools/engine/stackConfig";

// The global setup's plans of the stack files, kept between runs under node_modules/.cache, keyed by
// everything they are made from: every file of the project but the tests (the program, components,
// settings, policies and their config, tools, stack files, charts, schemas), the tests' harness,
// the installed packages (npm's lockfile of node_modules) and the Node version. A run whose inputs
// are a cached run's reads that run's plans instead of planning again, as jest reads a cached
// transform; any change to any of those files plans afresh. HEALTHFLOW_TEST_FRESH_PLANS=1 always
// plans afresh.

const CACHE = path.join(PROJECT_ROOT, "node_modules", ".cache", "healthflow-plans");
/** Folders at the project's root the plans do not read (the tests themselves are read as they change). */
const NOT_INPUTS = new Set(["node_modules", ".git", ".plan", "coverage", "bin", "reports", "tests"]);
const HARNESS = path.join("tests", "harness");
/** How many project states' plans are kept (a branch switch back finds its plans). */
const KEPT = 4;

/**
 * The project's input files, relative, sorted: what the plans are made from. An installed package
 * folder (the root's, or the policy pack's own `policies/node_modules`) counts by npm's lockfile of it.
 */
function inputFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory() && entry.name === "node_modules") {
        files.push(path.join(child, ".package-lock.json"));
      } else if (entry.isDirectory()) {
        if (relative !== "" || !NOT_INPUTS.has(entry.name) || child === HARNESS) walk(child);
      } else if (entry.isFile()) files.push(child);
    }
  };
  walk("");
  if (fs.existsSync(path.join(root, HARNESS))) walk(HARNESS);
  return files.sort();
}

/** One digest of every input's path and content, and the Node version (of the project at `root`). */
export function inputsDigest(root = PROJECT_ROOT): string {
  return filesDigest(root, inputFiles(root), process.version);
}

/** The folder holding complete plans for `digest`, when a run has left them. */
export function cachedPlans(digest: string): string | undefined {
  if (process.env.HEALTHFLOW_TEST_FRESH_PLANS === "1") return undefined;
  try {
    const dir = fs.readFileSync(path.join(CACHE, `${digest}.ready`), "utf8");
    return fs.existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** A new folder to plan into for `digest` (under the cache; a temporary one where it cannot be written). */
export function newPlans(digest: string): string {
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    return fs.mkdtempSync(path.join(CACHE, `${digest.slice(0, 16)}-`));
  } catch {
    return fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-plans-"));
  }
}

/** Marks `dir`'s plans complete for `digest`, and drops all but the newest few project states. */
export function keepPlans(digest: string, dir: string): void {
  if (!dir.startsWith(CACHE + path.sep)) return;
  const ready = path.join(CACHE, `${digest}.ready`);
  fs.writeFileSync(`${ready}.${process.pid}`, dir);
  fs.renameSync(`${ready}.${process.pid}`, ready); // two runs at once: the last to finish is kept
  const marks = fs
    .readdirSync(CACHE)
    .filter((f) => f.endsWith(".ready"))
    .map((f) => ({ f, time: fs.statSync(path.join(CACHE, f)).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  const kept = new Set(marks.slice(0, KEPT).map(({ f }) => fs.readFileSync(path.join(CACHE, f), "utf8")));
  for (const { f } of marks.slice(KEPT)) fs.rmSync(path.join(CACHE, f), { force: true });
  for (const entry of fs.readdirSync(CACHE, { withFileTypes: true })) {
    const full = path.join(CACHE, entry.name);
    // Another run's folder still being planned is younger than a minute: left alone.
    if (entry.isDirectory() && !kept.has(full) && Date.now() - fs.statSync(full).mtimeMs > 60_000)
      fs.rmSync(full, { recursive: true, force: true });
  }
}

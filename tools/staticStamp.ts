import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { filesDigest } from "./digest";

// The "nothing changed" shortcut of `npm run static` (tools/static.ts), like `tsc --build`'s
// up-to-date check: a clean run records every project file its TypeScript program read and a digest
// of them with the config files and the installed packages; a later run whose digest is the same
// builds nothing. A new file of the tsconfig, an edited one, a changed config or a reinstalled
// package folder (by npm's lockfile of it, the root's or a nested one such as policies/node_modules)
// runs everything again.

/** What decides the outcome besides the project's own source files. */
const CONFIG_FILES = [
  "tsconfig.json",
  "eslint.config.mjs",
  ".prettierrc.json",
  ".prettierignore",
  "tools/static.ts",
  "tools/staticStamp.ts",
];

/** The project's files a clean run read, the lockfiles of the package folders it read from, and the digest. */
interface CleanRun {
  files: string[];
  digest: string;
}

/** The tsconfig's own files (what a new file changes), relative to `root`. */
function rootFiles(root: string): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(root, "tsconfig.json"),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  return (parsed?.fileNames ?? []).map((file) => path.relative(root, file));
}

const digestOf = (root: string, files: string[]) =>
  filesDigest(root, [...CONFIG_FILES, "node_modules/.package-lock.json", ...files, ...rootFiles(root)]);

/** True when nothing the last clean run (recorded in `stamp`) read has changed since. */
export function upToDate(root: string, stamp: string): boolean {
  try {
    const clean = JSON.parse(fs.readFileSync(stamp, "utf8")) as CleanRun;
    return clean.digest === digestOf(root, clean.files);
  } catch {
    return false;
  }
}

/** Records a clean run whose program read `sourceFiles` (absolute paths). */
export function recordClean(root: string, stamp: string, sourceFiles: string[]): void {
  const files = new Set<string>();
  for (const file of sourceFiles.map((f) => path.relative(root, f))) {
    if (file.startsWith("..")) continue;
    const parts = file.split(path.sep);
    const packages = parts.indexOf("node_modules");
    // A package's file counts by the lockfile npm keeps of its node_modules folder.
    files.add(packages < 0 ? file : path.join(...parts.slice(0, packages + 1), ".package-lock.json"));
  }
  const clean: CleanRun = { files: [...files], digest: digestOf(root, [...files]) };
  fs.mkdirSync(path.dirname(stamp), { recursive: true });
  fs.writeFileSync(stamp, JSON.stringify(clean));
}

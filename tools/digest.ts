import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * One sha256 over `salt` and each of `files` (relative to `root`): its path and its content, a file
 * that cannot be read counting as such. What the check's "nothing changed" shortcuts key on
 * (tools/static.ts, the tests' cached plans).
 */
export function filesDigest(root: string, files: string[], salt = ""): string {
  const hash = crypto.createHash("sha256").update(`${salt}\0`);
  for (const file of [...new Set(files)].sort()) {
    hash.update(`${file}\0`);
    try {
      hash.update(fs.readFileSync(path.join(root, file)));
    } catch {
      hash.update("(unreadable)");
    }
    hash.update("\0");
  }
  return hash.digest("hex");
}

// Runs this project's TypeScript under plain Node for the offline tools (`npm run plan`,
// `npm run policy-config`, the benchmark): a require hook that strips the types of a `.ts` file
// with esbuild (tools/strip-types.js) and keeps the result on disk, keyed by the file's content, so an unchanged file is
// never transformed twice. No source maps: the tools print sentences, not stack traces, and
// mapping every stack the Pulumi SDK captures (one per resource) would cost more than the plan's
// own work. Type-checking is `npm run typecheck`'s job, as in jest.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const { OPTIONS, stripTypes } = require("./strip-types");

const cacheDirectory = path.join(__dirname, "..", "node_modules", ".cache", "healthflow-ts");

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const code = fs.readFileSync(filename, "utf8");
  // One cache file per source file, headed by the hash of what it was made from.
  const stamp = crypto.createHash("sha1").update(code).update(JSON.stringify(OPTIONS)).digest("hex");
  const cached = path.join(cacheDirectory, crypto.createHash("sha1").update(filename).digest("hex") + ".js");
  let js;
  try {
    const text = fs.readFileSync(cached, "utf8");
    if (text.startsWith(`//${stamp}\n`)) js = text.slice(stamp.length + 3);
  } catch {
    // not cached yet
  }
  if (js === undefined) {
    js = stripTypes(code, filename);
    try {
      fs.mkdirSync(cacheDirectory, { recursive: true });
      const temporary = `${cached}.${process.pid}`;
      fs.writeFileSync(temporary, `//${stamp}\n${js}`);
      fs.renameSync(temporary, cached);
    } catch {
      // A read-only checkout still runs, transforming every time.
    }
  }
  module._compile(js, filename);
};

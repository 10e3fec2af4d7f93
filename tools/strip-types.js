// TypeScript to CommonJS for Node, the types stripped by esbuild: one definition for the offline
// tools' require hook (tools/ts-hook.js) and jest's transform (tools/jest-transform.js). No type
// check here: that is `npm run typecheck`'s job.
"use strict";

// Strict mode in every file, as tsc emits it under tsconfig's `strict` (and as Pulumi's ts-node runs
// the program): esbuild adds "use strict" only when asked.
const OPTIONS = {
  loader: "ts",
  format: "cjs",
  target: "node22",
  tsconfigRaw: { compilerOptions: { alwaysStrict: true } },
};
let esbuild; // loaded on the first file that is not cached yet

/** `code` (the TypeScript file `filename`) as CommonJS; `extra` adds esbuild options (a source map). */
function stripTypes(code, filename, extra = {}) {
  esbuild = esbuild || require("esbuild");
  return esbuild.transformSync(code, { ...OPTIONS, ...extra, sourcefile: filename }).code;
}

module.exports = { OPTIONS, stripTypes };

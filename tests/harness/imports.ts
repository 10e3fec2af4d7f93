import * as fs from "fs";
import * as path from "path";
import ts from "typescript";
import { PROJECT_ROOT } from "../../tools/engine/stackConfig";

// The project's own import graph, read the way TypeScript reads imports (static imports, type-only
// imports, `export ... from`, `import()` and `require()`), for the tests that keep the house
// pointing one way.

const SKIPPED = new Set(["node_modules", ".git", ".plan", "coverage", "bin"]);

/** Every .ts file of the project (relative paths with "/"), dependencies and outputs excluded. */
export function projectSources(root = PROJECT_ROOT): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts"))
        found.push(path.relative(root, full).split(path.sep).join("/"));
    }
  };
  walk(root);
  return found.sort();
}

/** file → the project files it imports (package imports are left out). */
export function importGraph(files: Record<string, string>): Map<string, string[]> {
  const known = new Set(Object.keys(files));
  const resolve = (from: string, specifier: string): string | undefined => {
    if (!specifier.startsWith(".")) return undefined;
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
    return [`${base}.ts`, `${base}/index.ts`, base].find((candidate) => known.has(candidate));
  };
  const graph = new Map<string, string[]>();
  for (const [file, text] of Object.entries(files)) {
    const { importedFiles } = ts.preProcessFile(text, true, true);
    const targets = importedFiles
      .map((imported) => resolve(file, imported.fileName))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The project's graph, read from disk. */
export function projectImportGraph(root = PROJECT_ROOT): Map<string, string[]> {
  return importGraph(
    Object.fromEntries(
      projectSources(root).map((file) => [file, fs.readFileSync(path.join(root, file), "utf8")]),
    ),
  );
}

/** Groups of files that import each other, directly or around a loop (Tarjan's algorithm). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== file);
      if (group.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(group.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

/** Imports from a folder into another it must not depend on: "from → to". */
export function importsInto(
  graph: Map<string, string[]>,
  from: (file: string) => boolean,
  into: string,
): string[] {
  return [...graph].flatMap(([file, targets]) =>
    from(file)
      ? targets.filter((target) => target.startsWith(into)).map((target) => `${file} → ${target}`)
      : [],
  );
}

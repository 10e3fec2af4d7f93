import type { ProgramRun, RegisteredResource } from "../engine/engine";
import { display } from "./wire";

// What `npm run plan` prints: the resource tree grouped under components, counts per type, and
// the stack outputs with secrets masked.

function label(r: RegisteredResource): string {
  const flags = [
    r.protect ? "protected" : "",
    r.custom || r.type.startsWith("pulumi:") ? "" : "component",
  ].filter(Boolean);
  return `${r.type}  ${r.name}${flags.length ? `  (${flags.join(", ")})` : ""}`;
}

export function resourceTree(resources: RegisteredResource[]): string[] {
  const children = new Map<string | undefined, RegisteredResource[]>();
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      lines.push(`${"    ".repeat(depth)}${depth ? "└─ " : ""}${label(r)}`);
      walk(r.urn, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

export function typeCounts(resources: RegisteredResource[]): string[] {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${String(n).padStart(4)}  ${type}`);
}

export function report(run: ProgramRun): string {
  const outputs = JSON.stringify(display(run.outputs), null, 2).split("\n");
  return [
    `Plan of stack "${run.stack.stack}" (project ${run.stack.project}), a preview under mocks: values a provider computes are [unknown].`,
    "",
    "Resources:",
    ...resourceTree(run.resources).map((l) => `  ${l}`),
    "",
    `Counts (${run.resources.length} resources):`,
    ...typeCounts(run.resources).map((l) => `  ${l}`),
    "",
    "Outputs:",
    ...outputs.map((l) => `  ${l}`),
  ].join("\n");
}

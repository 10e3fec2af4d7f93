import type { ProgramRun, RegisteredResource } from "../engine/engine";
import type { CheckResult } from "./check";
import { createTime } from "./createTimes";

// The estimated critical path of a fresh `pulumi up` from the plan's own dependency graph: the
// engine creates a resource once everything it depends on exists (its dependencies, and its
// provider, which itself waits for what configures it), in parallel otherwise. A component is
// logical: depending on one means waiting for all of its children. Times are createTimes.ts'.

/** What the estimate needs of a resource (a registered resource, or a row of a saved graph). */
export type TimedResource = Pick<RegisteredResource, "urn" | "type" | "custom" | "dependencies"> & {
  parent?: string;
  provider?: string;
  inputs?: Record<string, unknown>;
};

export interface Step {
  urn: string;
  type: string;
  name: string;
  label?: string;
  start: number;
  finish: number;
}

export interface Timeline {
  /** Seconds until the last resource exists. */
  totalSeconds: number;
  /** The chain of resources that decides it, first to last (those that take time). */
  criticalPath: Step[];
  /** When each resource (not the logical components) is created: urn → step. */
  steps: Map<string, Step>;
}

/** Our own components (and the stack) are logical; a Helm chart or ConfigGroup is built by its provider. */
const isLogical = (r: TimedResource) =>
  !r.custom && (r.type.startsWith("healthflow:") || r.type === "pulumi:pulumi:Stack");

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

export function timeline(resources: TimedResource[]): Timeline {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, TimedResource[]>();
  for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const steps = new Map<string, Step & { after?: string }>();

  const finishOf = (urn: string): { finish: number; last?: string } => {
    const r = byUrn.get(urn);
    if (!r) return { finish: 0 };
    if (isLogical(r)) {
      // Done when every child is: the latest child decides.
      let latest: { finish: number; last?: string } = { finish: 0 };
      for (const child of children.get(urn) ?? []) {
        const done = finishOf(child.urn);
        if (done.finish > latest.finish) latest = { finish: done.finish, last: done.last ?? child.urn };
      }
      return latest;
    }
    return { finish: stepOf(r).finish, last: urn };
  };

  const stepOf = (r: TimedResource): Step & { after?: string } => {
    const known = steps.get(r.urn);
    if (known) return known;
    const waitsFor = [
      ...r.dependencies,
      ...(r.provider ? [r.provider.slice(0, r.provider.lastIndexOf("::"))] : []),
    ];
    let start = 0;
    let after: string | undefined;
    for (const urn of waitsFor) {
      const done = finishOf(urn);
      if (done.finish > start) [start, after] = [done.finish, done.last];
    }
    const { seconds, row } = createTime(r.type, r.inputs ?? {});
    const step = {
      urn: r.urn,
      type: r.type,
      name: nameOf(r.urn),
      label: row?.label,
      start,
      finish: start + seconds,
      after,
    };
    steps.set(r.urn, step);
    return step;
  };

  let last: (Step & { after?: string }) | undefined;
  for (const r of resources) {
    if (isLogical(r)) continue;
    const step = stepOf(r);
    if (!last || step.finish > last.finish) last = step;
  }
  const criticalPath: Step[] = [];
  for (let step = last; step; step = step.after ? steps.get(step.after) : undefined) {
    if (step.finish > step.start) {
      const { urn, type, name, label, start, finish } = step;
      criticalPath.unshift({ urn, type, name, label, start, finish });
    }
  }
  return { totalSeconds: last?.finish ?? 0, criticalPath, steps };
}

const clock = (seconds: number) =>
  `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, "0")}`;

/** The plan's section: the estimate and the chain behind it (dev runs on Docker: no estimate). */
export async function timelineSection(run: ProgramRun): Promise<CheckResult> {
  if (run.stack.config["healthflow:environment"] === "dev") {
    return {
      title: "A fresh `pulumi up`: dev runs on the local Docker engine, no estimate.",
      lines: [],
      failed: false,
    };
  }
  const { totalSeconds, criticalPath } = timeline(run.resources);
  return {
    title: `A fresh \`pulumi up\`, estimated from the dependency graph: about ${Math.ceil(totalSeconds / 60)} min (typical create times: tools/plan/createTimes.ts). Critical path:`,
    lines: criticalPath.map(
      (s) =>
        `  ${clock(s.start).padStart(6)} → ${clock(s.finish).padStart(6)}  ${s.type}  ${s.name}${s.label ? ` (${s.label})` : ""}`,
    ),
    failed: false,
  };
}

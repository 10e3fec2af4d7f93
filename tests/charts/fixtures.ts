import * as fs from "fs";
import * as path from "path";
import type { OfflineResource } from "../../policies/offline";
import type { ProgramRun, RegisteredResource } from "../../tools/engine/engine";

// The reviewed fixtures of the Helm charts the program installs (tests/charts/<chart>-<version>.json):
// what each chart renders with our values, derived from its templates at the pinned version. Under
// Pulumi's mocks a Chart v4 has no children; in a real preview it registers every rendered object,
// and the policy pack judges each. These helpers turn a fixture into those children.
//
// The fixtures stand in for `helm template`: written by reading each chart's templates at its pinned
// version and reviewed, not produced by helm (no helm from Debian or the npm registry on these
// machines). The tests that read them say so in their names; the chart's own values.yaml and
// values.schema.json (charts/) are the real artefacts every value we pass is checked against.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & JsonObject;
  [key: string]: Json | undefined;
}

/** How a value we pass reaches the rendered objects. */
export interface Binding {
  /** Dotted path in the chart's values. */
  values: string;
  /** "<Kind> [<namespace>/]<name>: <field path>" targets the value is copied into. */
  into?: string[];
  /** "{}" (or "{key}" for a map value) stands for the value, e.g. a flag rendered around it. */
  format?: string;
  /**
   * The template merges the value over its own defaults: the target holds at least the value (an
   * object's keys, or a list's elements).
   */
  merged?: boolean;
  /** Objects rendered only when the value is truthy. */
  renders?: string[];
  /** Why the value changes nothing rendered (then no target). */
  noEffect?: string;
  template?: string;
}

export interface HookSet {
  what: string;
  objects: JsonObject[];
  /** Values that keep these hooks out of the render (key path → value). */
  disabledBy: Record<string, Json>;
  /** The program's resource that does the hook's job instead, if anything must. */
  replacedBy: { type: string; name: string; file: string; why: string } | null;
  why?: string;
}

export interface ChartFixture {
  file: string;
  chart: string;
  version: string;
  appVersion: string;
  source: string;
  reviewed: string;
  release: { resource: string; name: string; namespace: string; skipCrds: boolean };
  templates: string[];
  hooks: HookSet[];
  createdAtRuntime: { kind: string; namespace: string; name: string; by: string }[];
  /** The production values the objects were rendered with; {"$any": why} where anything goes. */
  values: JsonObject;
  bindings: Binding[];
  objects: KubernetesObject[];
  /** Objects an operator creates from the chart's custom resources: never Pulumi resources. */
  operatorCreated?: KubernetesObject[];
}

export const FIXTURES_DIR = __dirname;

export function loadFixtures(): ChartFixture[] {
  return fs
    .readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, ...JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, file), "utf8")) }));
}

/**
 * A deep copy made in the test's own realm: jest runs tests in a vm context, and the host's
 * structuredClone returns arrays that fail `instanceof Array` there (as @pulumi/policy's deserializer asks).
 */
export const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
export const isAny = (v: unknown): boolean => isObject(v) && "$any" in v;

/** The value at a dotted path of a values object (undefined when absent). */
export function valueAt(values: unknown, dotted: string): Json | undefined {
  return dotted
    .split(".")
    .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), values) as Json | undefined;
}

/** True when `actual` equals `expected`, where an {"$any"} in `expected` accepts anything below it. */
export function matchesValues(actual: unknown, expected: unknown): boolean {
  if (isAny(expected)) return true;
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => matchesValues(actual[i], e))
    );
  if (isObject(expected)) {
    if (!isObject(actual)) return false;
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].every((k) => matchesValues(actual[k], expected[k]));
  }
  return actual === expected;
}

/** Leaf paths of `actual` that differ from `expected` (leaves under an {"$any"} excepted). */
export function differingPaths(actual: unknown, expected: unknown, at: string[] = []): string[] {
  if (isAny(expected)) return [];
  if (isObject(actual) && isObject(expected)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].flatMap((k) => differingPaths(actual[k], expected[k], [...at, k]));
  }
  return JSON.stringify(actual) === JSON.stringify(expected) ? [] : [at.join(".")];
}

// ---------------------------------------------------------------- objects and field paths

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

/** "<Kind> <namespace>/<name>" or "<Kind> <name>" (cluster-scoped). */
export function parseRef(ref: string): ObjectRef {
  const [kind, id] = ref.split(" ");
  const [namespace, name] = id.includes("/") ? id.split("/") : [undefined, id];
  return { kind, namespace, name };
}

export const refOf = (o: KubernetesObject): string =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

function findObject(objects: KubernetesObject[], ref: string): KubernetesObject | undefined {
  const { kind, namespace, name } = parseRef(ref);
  return objects.find(
    (o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace,
  );
}

/**
 * Field path segments: `a.b`, `containers[name=x]` (the list element with that name), `metrics[1]`,
 * and `data.fluent-bit\\.conf` for a key with a dot in it.
 */
function segments(fieldPath: string): (string | number | { name: string })[] {
  return fieldPath.split(/(?<!\\)\./).flatMap((raw) => {
    const part = raw.replace(/\\\./g, ".");
    const m = /^([^[]+)(?:\[(?:name=([^\]]+)|(\d+))\])?$/.exec(part);
    if (!m) throw new Error(`bad field path segment ${part} in ${fieldPath}`);
    const [, key, name, index] = m;
    return [key, ...(name ? [{ name }] : index ? [Number(index)] : [])];
  });
}

function step(node: unknown, segment: string | number | { name: string }): unknown {
  if (typeof segment === "object")
    return Array.isArray(node) ? node.find((e) => isObject(e) && e.name === segment.name) : undefined;
  if (typeof segment === "number") return Array.isArray(node) ? node[segment] : undefined;
  return isObject(node) ? node[segment] : undefined;
}

/** "<object ref>: <field path>" → the object and the path. */
function splitTarget(target: string): { ref: string; fieldPath: string } {
  const at = target.indexOf(": ");
  return { ref: target.slice(0, at), fieldPath: target.slice(at + 2) };
}

/** The field a binding target names, in `objects`; throws when the object or its parent field is missing. */
export function fieldAt(objects: KubernetesObject[], target: string): Json | undefined {
  const { ref, fieldPath } = splitTarget(target);
  const object = findObject(objects, ref);
  if (!object) throw new Error(`${target}: no such object`);
  return segments(fieldPath).reduce<unknown>(step, object) as Json | undefined;
}

function setField(objects: KubernetesObject[], target: string, value: Json, merged: boolean): void {
  const { ref, fieldPath } = splitTarget(target);
  const object = findObject(objects, ref);
  if (!object) return; // not rendered with these values (a `renders` binding removed it)
  const path = segments(fieldPath);
  const parent = path.slice(0, -1).reduce<unknown>(step, object);
  const last = path[path.length - 1];
  if (parent === undefined || typeof last === "object") throw new Error(`${target}: cannot set`);
  const container = parent as Record<string | number, Json>;
  container[last] = merged && isObject(container[last]) && isObject(value) ? { ...container[last], ...value } : value;
}

/** A binding's value as the template writes it into its targets. */
export function renderedValue(binding: Binding, value: Json | undefined): Json | undefined {
  if (binding.format === undefined || value === undefined) return value;
  const format = binding.format;
  return isObject(value)
    ? format.replace(/\{(\w+)\}/g, (_, key: string) => String(value[key]))
    : format.replace("{}", String(value));
}

/**
 * The fixture's objects as the chart renders them with `values`: the reviewed render, with every bound
 * value written where the template puts it and objects a value turns off removed.
 */
export function render(fixture: ChartFixture, values: JsonObject): KubernetesObject[] {
  const objects = clone([...fixture.objects, ...(fixture.operatorCreated ?? [])]);
  const removed = new Set<string>();
  for (const binding of fixture.bindings) {
    const value = valueAt(values, binding.values);
    if (binding.renders && !value) binding.renders.forEach((ref) => removed.add(ref));
    for (const target of binding.into ?? []) {
      const rendered = renderedValue(binding, value);
      if (rendered !== undefined) setField(objects, target, rendered, binding.merged === true);
    }
  }
  return objects.filter((o) => !removed.has(refOf(o)));
}

/** What the chart registers: rendered objects minus the operator's (those are never Pulumi resources). */
export function registeredObjects(fixture: ChartFixture, values: JsonObject): KubernetesObject[] {
  const operatorCreated = new Set((fixture.operatorCreated ?? []).map(refOf));
  return render(fixture, values).filter((o) => !operatorCreated.has(refOf(o)));
}

export function operatorObjects(fixture: ChartFixture, values: JsonObject): KubernetesObject[] {
  const operatorCreated = new Set((fixture.operatorCreated ?? []).map(refOf));
  return render(fixture, values).filter((o) => operatorCreated.has(refOf(o)));
}

/** Review notes ("_..." keys) removed, at any depth: what Chart v4 hands the engine. */
export function withoutNotes(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutNotes);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith("_"))
      .map(([key, v]) => [key, withoutNotes(v)]),
  );
}

// ---------------------------------------------------------------- as the engine registers them

/** The type token of a Kubernetes object: kubernetes:<group>/<version>:<Kind>, core as core/v1. */
export function typeToken(apiVersion: string, kind: string): string {
  return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
}

/** The Chart resource the program declares for this fixture. */
export function chartResource(run: ProgramRun, fixture: ChartFixture): RegisteredResource {
  const chart = run.resources.find(
    (r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.name === fixture.release.resource,
  );
  if (!chart) throw new Error(`the ${run.stack.stack} plan has no Chart ${fixture.release.resource}`);
  return chart;
}

export const chartValues = (run: ProgramRun, fixture: ChartFixture): JsonObject =>
  chartResource(run, fixture).inputs.values as JsonObject;

/**
 * The chart's objects as Chart v4 registers them in a real preview (provider/pkg/provider/yaml/v2
 * register): named `<chart resource name>:<namespace>/<name>` (cluster-scoped: without the namespace),
 * typed by apiVersion and kind, children of the Chart, on the Chart's provider.
 */
export function chartChildren(run: ProgramRun, fixture: ChartFixture, objects: KubernetesObject[]): OfflineResource[] {
  const chart = chartResource(run, fixture);
  const [prefix, project, qualifiedType] = chart.urn.split("::");
  return objects.map((object) => {
    const type = typeToken(object.apiVersion, object.kind);
    const { name, namespace } = object.metadata;
    const resourceName = `${fixture.release.resource}:${namespace ? `${namespace}/` : ""}${name}`;
    return {
      urn: `${prefix}::${project}::${qualifiedType}$${type}::${resourceName}`,
      type,
      name: resourceName,
      props: withoutNotes(object as unknown as Json) as Record<string, unknown>,
      parent: chart.urn,
      provider: chart.provider,
    };
  });
}

/** Every fixture's registered objects for this stack's values, as children of the stack's Charts. */
export function allChartChildren(run: ProgramRun, fixtures: ChartFixture[]): OfflineResource[] {
  return fixtures.flatMap((f) => chartChildren(run, f, registeredObjects(f, chartValues(run, f))));
}

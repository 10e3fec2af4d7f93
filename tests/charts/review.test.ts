import { plannedRun } from "../harness/plans";
import type { ProgramRun } from "../../tools/engine/engine";
import { UNKNOWN } from "../../tools/engine/engine";
import {
  type ChartFixture,
  clone,
  chartChildren,
  chartValues,
  differingPaths,
  fieldAt,
  isAny,
  loadFixtures,
  matchesValues,
  refOf,
  registeredObjects,
  render,
  renderedValue,
  valueAt,
} from "./fixtures";

// A chart is reviewed once per version and per change of the values we pass it: the fixture records
// what the chart renders, and these tests fail when the program pins another version or passes other
// values than the fixture was reviewed with (docs/charts.md: "How a chart upgrade is reviewed").

const fixtures = loadFixtures();
const CHART = "kubernetes:helm.sh/v4:Chart";
const stacks = ["staging", "production"] as const;

/** The chart's name as a Chart input names it: `cert-manager`, or an OCI reference's last segment. */
const chartName = (chart: string) => chart.split("/").pop() as string;

describe.each(stacks)("the charts of %s", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });

  test("every Chart the program declares has exactly one fixture, for the version it pins", () => {
    const charts = run.resources.filter((r) => r.type === CHART);
    expect(charts.length).toBe(5);
    for (const chart of charts) {
      const { chart: ref, version } = chart.inputs as { chart: string; version: string };
      const matching = fixtures.filter((f) => f.chart === chartName(ref));
      expect([chart.name, matching.map((f) => f.version)]).toEqual([chart.name, [version]]);
      expect(matching[0].file).toBe(`${chartName(ref)}-${version}.json`);
    }
    expect(fixtures).toHaveLength(charts.length);
  });

  test("each fixture renders the release the program declares: resource name, release name, namespace, CRDs", () => {
    for (const fixture of fixtures) {
      const inputs = run.resources.find((r) => r.type === CHART && r.name === fixture.release.resource)
        ?.inputs as Record<string, unknown>;
      expect([fixture.chart, inputs.name ?? fixture.release.resource, inputs.namespace]).toEqual([
        fixture.chart,
        fixture.release.name,
        fixture.release.namespace,
      ]);
      expect([fixture.chart, inputs.skipCrds ?? false]).toEqual([fixture.chart, fixture.release.skipCrds]);
    }
  });

  test("a value that differs from production's is one the fixture binds (so this stack's render is derived)", () => {
    for (const fixture of fixtures) {
      const bound = fixture.bindings.map((b) => b.values);
      const unbound = differingPaths(chartValues(run, fixture), fixture.values).filter(
        (leaf) => !bound.some((b) => leaf === b || leaf.startsWith(`${b}.`)),
      );
      expect([fixture.chart, unbound]).toEqual([fixture.chart, []]);
    }
  });

  test("the values are known during a preview: Chart v4 renders nothing when an input is unknown", () => {
    // chart.go: "Input properties have unknown values. Preview is incomplete." and no children at all,
    // so the policy pack would judge none of the chart's objects.
    for (const fixture of fixtures) {
      const inputs = run.resources.find((r) => r.type === CHART && r.name === fixture.release.resource)!;
      expect([fixture.chart, JSON.stringify(inputs.inputs).includes(UNKNOWN)]).toEqual([fixture.chart, false]);
    }
  });

  test("children are named and typed as Chart v4 registers them, one URN each", () => {
    for (const fixture of fixtures) {
      const children = chartChildren(run, fixture, registeredObjects(fixture, chartValues(run, fixture)));
      expect(new Set(children.map((c) => c.urn)).size).toBe(children.length);
      for (const child of children) expect(child.name.startsWith(`${fixture.release.resource}:`)).toBe(true);
    }
    const nginx = fixtures.find((f) => f.chart === "nginx-ingress")!;
    const names = chartChildren(run, nginx, nginx.objects).map((c) => `${c.type} ${c.name}`);
    expect(names).toContain("kubernetes:apps/v1:Deployment nginx-ingress:nginx-ingress/nginx-ingress-controller");
    expect(names).toContain("kubernetes:core/v1:Service nginx-ingress:nginx-ingress/nginx-ingress-controller");
    expect(names).toContain("kubernetes:networking.k8s.io/v1:IngressClass nginx-ingress:nginx");
  });
});

describe.each(fixtures.map((f) => [f.file, f] as const))("the fixture %s", (_, fixture: ChartFixture) => {
  test("says what it is: chart, version, source repository and tag, templates, date reviewed", () => {
    expect(fixture.source).toMatch(/^[\w.-]+\/[\w.-]+@\S+/);
    expect(fixture.reviewed).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(fixture.templates.length).toBeGreaterThan(0);
    expect(fixture.objects.length).toBeGreaterThan(0);
    for (const object of fixture.objects) {
      expect(typeof (object as Record<string, unknown>)._template).toBe("string");
      expect(object.metadata.name).toMatch(/^[a-z0-9]([a-z0-9.:-]*[a-z0-9])?$/);
    }
  });

  test("was reviewed with exactly the values production passes today", () => {
    const values = chartValues(plannedRun("production"), fixture);
    expect(differingPaths(values, fixture.values)).toEqual([]);
    expect(matchesValues(values, fixture.values)).toBe(true);
  });

  test("records each bound value where the template puts it", () => {
    for (const binding of fixture.bindings) {
      const value = valueAt(fixture.values, binding.values);
      if (binding.noEffect) {
        expect([binding.values, binding.into ?? binding.renders]).toEqual([binding.values, undefined]);
        continue;
      }
      expect([binding.values, value]).not.toEqual([binding.values, undefined]);
      for (const ref of binding.renders ?? [])
        expect([ref, fixture.objects.some((o) => refOf(o) === ref)]).toEqual([ref, Boolean(value)]);
      if (isAny(value)) continue; // a run-time value: the fixture holds a placeholder
      for (const target of binding.into ?? []) {
        const recorded = fieldAt([...fixture.objects, ...(fixture.operatorCreated ?? [])], target);
        const expected = renderedValue(binding, value);
        // A list the template appends to its own: the target holds every element of the value.
        const merged = Array.isArray(expected)
          ? expect.arrayContaining(expected)
          : expect.objectContaining(expected as object);
        if (binding.merged) expect([target, recorded]).toEqual([target, merged]);
        else expect([target, recorded]).toEqual([target, expected]);
      }
    }
  });

  test("the check bites: another value fails the review and renders elsewhere", () => {
    for (const binding of fixture.bindings.filter((b) => b.into && !isAny(valueAt(fixture.values, b.values)))) {
      const changed = clone(fixture.values);
      const keys = binding.values.split(".");
      const parent = keys.slice(0, -1).reduce<any>((node, key) => node[key], changed);
      parent[keys[keys.length - 1]] = "changed";
      expect(differingPaths(changed, fixture.values)).toEqual([binding.values]);
      expect(matchesValues(changed, fixture.values)).toBe(false);
      for (const target of binding.into!)
        expect([target, fieldAt(render(fixture, changed), target)]).toEqual([
          target,
          renderedValue(binding, "changed"),
        ]);
    }
  });
});

import * as fs from "fs";
import * as path from "path";
import type { PolicyPackConfig } from "@pulumi/policy";
import { globMatches } from "../../policies/lib/glob";
import { EXEMPTING_SETTINGS } from "../../policies/lib/config";
import { loadPolicyConfig, runPolicies, type OfflineResource } from "../../policies/offline";
import { plannedRun } from "../harness/plans";
import { toPolicyResource } from "../../tools/plan/policies";
import { PROJECT_ROOT } from "../../tools/engine/stackConfig";
import { tableRows } from "../harness/markdown";
import { allChartChildren, chartChildren, clone, chartValues, loadFixtures, operatorObjects } from "./fixtures";

// The policy pack as a real `pulumi preview --policy-pack policies` runs it: on everything the
// program declares plus every object the five charts render (which the mocks never register), with
// each stack's own config. Every exemption in that config must name exactly the object it excuses,
// and be needed.

const fixtures = loadFixtures();
const stacks = ["staging", "production"] as const;

/** The stack as the analyzer sees it in a real preview: the program's resources and the charts' objects. */
function previewedResources(stack: string): OfflineResource[] {
  const run = plannedRun(stack);
  return [...run.resources.map(toPolicyResource), ...allChartChildren(run, fixtures)];
}

interface Judged {
  urn: string;
  kind: string;
  id: string;
}

const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"];

/** The Kubernetes objects a rule's exempting entries can name: `namespace/name` of the kinds it judges. */
function judgedBy(rule: string, resources: OfflineResource[]): Judged[] {
  const kinds =
    rule === "k8s-load-balancer-services-allowed"
      ? ["Service"]
      : rule === "k8s-deployment-has-hpa-and-pdb"
        ? ["Deployment"]
        : WORKLOAD_KINDS;
  return resources.flatMap((r) => {
    const kind = r.type.split(":")[2];
    const metadata = (r.props as { metadata?: { name?: string; namespace?: string } }).metadata;
    if (!r.type.startsWith("kubernetes:") || !kinds.includes(kind) || !metadata?.name) return [];
    return [{ urn: r.urn, kind, id: `${metadata.namespace ?? "default"}/${metadata.name}` }];
  });
}

type Entries = { rule: string; setting: string; entry: string; reason: string }[];

/** Every exempting entry of a stack's config, with its reason. */
function exemptingEntries(config: PolicyPackConfig): Entries {
  return Object.entries(config).flatMap(([rule, value]) => {
    if (typeof value !== "object" || value === null) return [];
    const settings = value as Record<string, unknown>;
    const reasons = (settings.reasons ?? {}) as Record<string, string>;
    return EXEMPTING_SETTINGS.flatMap((setting) =>
      ((settings[setting] as string[] | undefined) ?? []).map((entry) => ({
        rule,
        setting,
        entry,
        reason: reasons[entry],
      })),
    );
  });
}

/** That rule alone, mandatory, with its settings from the config but one entry (and its reason) taken out. */
function without(config: PolicyPackConfig, rule: string, setting: string, entry: string): PolicyPackConfig {
  const settings = clone(config[rule]) as Record<string, unknown>;
  settings[setting] = (settings[setting] as string[]).filter((e) => e !== entry);
  delete (settings.reasons as Record<string, string>)[entry];
  return { all: "disabled", [rule]: { ...settings, enforcementLevel: "mandatory" } } as PolicyPackConfig;
}

describe.each(stacks)("the policy pack on %s as a real preview sees it (hand-reviewed chart renders, not helm)", (stack) => {
  let resources: OfflineResource[];
  let config: PolicyPackConfig;
  beforeAll(() => {
    resources = previewedResources(stack);
    config = loadPolicyConfig(stack);
  });

  test("no rule fails on anything the five charts render; every mandatory rule passes", async () => {
    const result = await runPolicies(resources, config);
    const rendered = (urn?: string) => urn?.includes("$kubernetes:helm.sh/v4:Chart$") === true;
    expect(result.violations.filter((v) => rendered(v.urn)).map((v) => `${v.policyName} ${v.urn}`)).toEqual([]);
    expect(result.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    expect(result.notEvaluated).toEqual([]);
    // The charts' objects are really there: about 170, eight Deployments among them.
    const charted = resources.filter((r) => r.parent?.includes("kubernetes:helm.sh/v4:Chart::"));
    expect(charted.length).toBeGreaterThan(150);
    expect(charted.filter((r) => r.type === "kubernetes:apps/v1:Deployment")).toHaveLength(8);
  });

  test("every exemption names no pattern: one rendered object each, exactly", () => {
    for (const { rule, entry, setting } of exemptingEntries(config)) {
      if (setting === "excludedNamespaces") continue;
      expect([rule, entry, entry.includes("*")]).toEqual([rule, entry, false]);
      const matched = judgedBy(rule, resources).filter((o) => globMatches(entry, o.id));
      expect([rule, entry, matched.length]).toEqual([rule, entry, 1]);
    }
  });

  test("every exemption is needed: without it, its rule fails on that object", async () => {
    const entries = exemptingEntries(config).filter((e) => e.setting !== "excludedNamespaces");
    expect(entries.length).toBeGreaterThanOrEqual(13);
    for (const { rule, setting, entry } of entries) {
      const [object] = judgedBy(rule, resources).filter((o) => globMatches(entry, o.id));
      const result = await runPolicies(resources, without(config, rule, setting, entry));
      const failing = [...new Set(result.violations.filter((v) => v.policyName === rule).map((v) => v.urn))];
      expect([rule, entry, failing]).toEqual([rule, entry, [object.urn]]);
    }
  });

  test("namespaces are excluded only by the rules' defaults (kube-system and Kubernetes' own)", () => {
    const excluded = exemptingEntries(config).filter((e) => e.setting === "excludedNamespaces");
    expect(excluded).toEqual([]);
  });
});

describe("what the policy pack never sees", () => {
  test("the operator's StatefulSets meet the same rules (config-reloader probes included)", async () => {
    const run = plannedRun("production");
    const kps = fixtures.find((f) => f.chart === "kube-prometheus-stack")!;
    const statefulSets = operatorObjects(kps, chartValues(run, kps)).filter((o) => o.kind === "StatefulSet");
    expect(statefulSets.map((o) => o.metadata.name).sort()).toEqual([
      "alertmanager-kube-prometheus-stack-alertmanager",
      "prometheus-kube-prometheus-stack-prometheus",
    ]);
    const asIfRegistered = chartChildren(run, kps, statefulSets);
    const result = await runPolicies(
      [...run.resources.map(toPolicyResource), ...asIfRegistered],
      loadPolicyConfig("production"),
    );
    // Every violation but the cost estimate's informational report (advisory, on every stack with AWS resources).
    const violations = result.violations.filter((v) => v.policyName !== "aws-cost-monthly-estimate");
    expect(violations.map((v) => `${v.policyName}: ${v.message}`)).toEqual([]);
  });

  test("no fixture registers a Helm hook: Chart v4 drops every object annotated helm.sh/hook", () => {
    for (const fixture of fixtures)
      for (const object of fixture.objects)
        expect([fixture.chart, object.metadata.name, object.metadata.annotations]).not.toEqual([
          fixture.chart,
          object.metadata.name,
          expect.objectContaining({ "helm.sh/hook": expect.anything() }),
        ]);
  });
});

describe("the exemptions in policies/README.md", () => {
  test("list every exempting entry of staging and production with the config's reason, and nothing else", () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "policies", "README.md"), "utf8");
    const table = readme.slice(
      readme.indexOf("<!-- exemptions-table:start -->"),
      readme.indexOf("<!-- exemptions-table:end -->"),
    );
    // | `object` | `rule` | stacks | why |
    const rows = tableRows(table, "| `");
    const documented = rows.flatMap(([object, rule, stacksCell, why]) =>
      stacksCell.split(", ").map((stack) => `${stack} ${rule} ${object}: ${why}`),
    );
    const configured = stacks.flatMap((stack) =>
      exemptingEntries(loadPolicyConfig(stack)).map(
        ({ rule, entry, reason }) => `${stack} \`${rule}\` \`${entry}\`: ${reason}`,
      ),
    );
    expect(documented.sort()).toEqual(configured.sort());
  });
});

import { selectorMatches } from "../../../policies/kubernetes/label-selector";
import { deploymentAvailability } from "../../../policies/stack/kubernetes/deployment-availability";
import { pdbAllowsDisruption, scaledCount } from "../../../policies/stack/kubernetes/pdb-allows-disruption";
import {
  dependsOn,
  deployment,
  expectLevelFromConfig,
  hpa,
  pdb,
  runRule,
  UNKNOWN,
  workload,
} from "../fixtures";

describe("selectorMatches", () => {
  const labels = { app: "api", tier: "backend" };

  it.each([
    [{ matchLabels: { app: "api" } }, true],
    [{ matchLabels: { app: "web" } }, false],
    [{ matchExpressions: [{ key: "tier", operator: "In", values: ["backend", "worker"] }] }, true],
    // In: the key must be there with one of the values (metav1 LabelSelectorOperator).
    [{ matchExpressions: [{ key: "tier", operator: "In", values: ["frontend"] }] }, false],
    [{ matchExpressions: [{ key: "canary", operator: "In", values: ["true"] }] }, false],
    [{ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["backend"] }] }, false],
    [{ matchExpressions: [{ key: "canary", operator: "DoesNotExist" }] }, true],
    [{ matchExpressions: [{ key: "canary", operator: "Exists" }] }, false],
    // The API server accepts only In, NotIn, Exists and DoesNotExist (LabelSelectorOperator); anything
    // else selects nothing here rather than everything.
    [{ matchExpressions: [{ key: "tier", operator: "Matches", values: ["backend"] }] }, false],
    [{}, true],
    [undefined, false],
  ])("%j selects the pods: %p", (selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe("scaledCount", () => {
  it.each([
    [1, 3, 1],
    ["50%", 3, 2],
    ["100%", 3, 3],
    ["0%", 3, 0],
    ["10%", 1, 1],
    // A string of digits is a count (intstr.IntOrString); anything else is no count at all.
    ["2", 3, 2],
    [" 12 ", 20, 12],
    ["2x", 3, undefined],
    ["x2", 3, undefined],
    ["two", 3, undefined],
  ])("%p of %p pods is %p (percentages round up)", (value, total, expected) => {
    expect(scaledCount(value, total)).toBe(expected);
  });
});

describe("k8s-deployment-has-hpa-and-pdb", () => {
  const api = deployment("api");

  it("accepts a Deployment with an HPA naming it and a PDB selecting its pods", async () => {
    const resources = [
      api,
      hpa("api", { name: "api" }, { min: 2, max: 10 }),
      pdb("api", { app: "api" }, { maxUnavailable: 1 }),
    ];
    expect((await runRule(deploymentAvailability, resources)).violations).toEqual([]);
  });

  it("reports a Deployment with neither, on the Deployment", async () => {
    const { messages, violations } = await runRule(deploymentAvailability, [api]);
    expect(messages).toEqual([
      "Add a HorizontalPodAutoscaler in namespace healthflow with scaleTargetRef { kind: Deployment, name: api } (Deployment healthflow/api has none).",
      "Add a PodDisruptionBudget in namespace healthflow whose selector matches the pods of api (Deployment healthflow/api has none).",
    ]);
    expect(violations.every((v) => v.urn === api.urn)).toBe(true);
  });

  it("does not count an HPA or PDB in another namespace, of another kind or for other pods", async () => {
    const resources = [
      api,
      hpa("api", { name: "api" }, { min: 2, max: 10 }, "other"),
      hpa("api-sts", { kind: "StatefulSet", name: "api" }, { min: 2, max: 10 }),
      pdb("web", { app: "web" }, { maxUnavailable: 1 }),
    ];
    expect((await runRule(deploymentAvailability, resources)).violations).toHaveLength(2);
  });

  it("links an HPA built from the Deployment's (unknown) name through the dependency graph", async () => {
    const autoNamed = deployment("worker", undefined, { metadataName: null });
    const scaler = dependsOn(hpa("worker", { name: UNKNOWN }, { min: 2, max: 6 }), "spec", autoNamed);
    const budget = pdb("worker", { app: "worker" }, { maxUnavailable: 1 });
    const run = await runRule(deploymentAvailability, [autoNamed, scaler, budget]);
    expect(run.violations).toEqual([]);
    expect(run.notEvaluated).toEqual([]);
  });

  it("says it cannot decide while a Deployment's namespace is unknown", async () => {
    const unplaced = deployment("api", undefined, { namespace: UNKNOWN as unknown as string });
    const run = await runRule(deploymentAvailability, [unplaced]);
    expect(run.violations).toEqual([]);
    expect(run.notEvaluated).toEqual([
      expect.objectContaining({
        policyName: "k8s-deployment-has-hpa-and-pdb",
        reason: expect.stringContaining(".metadata.namespace"),
      }),
    ]);
  });

  it("says it cannot decide, rather than reporting, when a candidate HPA's target is unknown", async () => {
    const scaler = hpa("api", { name: UNKNOWN }, { min: 2, max: 10 });
    const run = await runRule(deploymentAvailability, [
      api,
      scaler,
      pdb("api", { app: "api" }, { maxUnavailable: 1 }),
    ]);
    expect(run.violations).toEqual([]);
    expect(run.notEvaluated).toEqual([
      expect.objectContaining({
        policyName: "k8s-deployment-has-hpa-and-pdb",
        reason: expect.stringContaining(".spec.scaleTargetRef.name"),
      }),
    ]);
  });

  it("requires only what the config requires (dev requires nothing)", async () => {
    const run = await runRule(deploymentAvailability, [api], {
      requireHorizontalPodAutoscaler: false,
      requirePodDisruptionBudget: true,
    });
    expect(run.violations).toHaveLength(1);
    const dev = await runRule(deploymentAvailability, [api], {
      requireHorizontalPodAutoscaler: false,
      requirePodDisruptionBudget: false,
    });
    expect(dev.violations).toEqual([]);
  });

  it("merges the config's excludedNamespaces with the system namespaces instead of replacing them", async () => {
    const coredns = deployment("coredns", undefined, { namespace: "kube-system" });
    const grafana = deployment("grafana", undefined, { namespace: "monitoring" });
    // The list production's policy config sets: the system namespaces stay excluded.
    const config = { excludedNamespaces: ["cert-manager", "monitoring"] };
    expect((await runRule(deploymentAvailability, [coredns, grafana], config)).violations).toEqual([]);
    const unconfigured = await runRule(deploymentAvailability, [coredns, grafana]);
    expect(unconfigured.violations.map((v) => v.urn)).toEqual([grafana.urn, grafana.urn]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(deploymentAvailability, [api]);
  });
});

describe("k8s-pdb-allows-disruption", () => {
  const api = deployment("api", undefined, { replicas: 3 });

  it.each([
    [{ maxUnavailable: 1 }],
    [{ maxUnavailable: "25%" }],
    [{ minAvailable: 2 }],
    [{ minAvailable: "50%" }],
  ])("accepts %j for a Deployment of 3 replicas", async (budget) => {
    expect(
      (await runRule(pdbAllowsDisruption, [api, pdb("api", { app: "api" }, budget)])).violations,
    ).toEqual([]);
  });

  it.each([
    [
      { maxUnavailable: 0 },
      "Set maxUnavailable of PodDisruptionBudget healthflow/api to at least 1 (it is 0).",
    ],
    [
      { maxUnavailable: "0%" },
      "Set maxUnavailable of PodDisruptionBudget healthflow/api to at least 1 (it is 0%).",
    ],
    [
      { minAvailable: "100%" },
      "Lower minAvailable of PodDisruptionBudget healthflow/api below 100%, or use maxUnavailable: 1.",
    ],
    [
      { minAvailable: 3 },
      "Lower minAvailable of PodDisruptionBudget healthflow/api (3) below the 3 replica(s) Deployment healthflow/api may run with, or use maxUnavailable: 1; as it is, no pod can be evicted.",
    ],
    [
      { minAvailable: "90%" },
      "Lower minAvailable of PodDisruptionBudget healthflow/api (90%) below the 3 replica(s) Deployment healthflow/api may run with, or use maxUnavailable: 1; as it is, no pod can be evicted.",
    ],
  ])("refuses %j, on the PDB", async (budget, message) => {
    const budgetResource = pdb("api", { app: "api" }, budget);
    const { messages, violations } = await runRule(pdbAllowsDisruption, [api, budgetResource]);
    expect(messages).toEqual([message]);
    expect(violations[0].urn).toBe(budgetResource.urn);
  });

  it("says it cannot decide, rather than passing, while a PDB's selector or namespace is unknown", async () => {
    // minAvailable 3 of 3 replicas would be a violation: an unknown selector must not hide it as a pass.
    const unknownSelector = pdb("api", { app: "api" }, { minAvailable: 3 });
    unknownSelector.props = { ...unknownSelector.props, spec: { selector: UNKNOWN, minAvailable: 3 } };
    const bySelector = await runRule(pdbAllowsDisruption, [api, unknownSelector]);
    expect(bySelector.violations).toEqual([]);
    expect(bySelector.notEvaluated).toEqual([
      expect.objectContaining({
        policyName: "k8s-pdb-allows-disruption",
        reason: expect.stringContaining(".spec.selector"),
      }),
    ]);
    const unplaced = pdb("api", { app: "api" }, { minAvailable: 3 }, UNKNOWN as unknown as string);
    const byNamespace = await runRule(pdbAllowsDisruption, [api, unplaced]);
    expect(byNamespace.violations).toEqual([]);
    expect(byNamespace.notEvaluated).toEqual([
      expect.objectContaining({
        policyName: "k8s-pdb-allows-disruption",
        reason: expect.stringContaining(".metadata.namespace"),
      }),
    ]);
  });

  it("counts the HPA's minReplicas, not spec.replicas, when an HPA scales the workload", async () => {
    const scaled = deployment("api", undefined, { replicas: 5 });
    const resources = [
      scaled,
      hpa("api", { name: "api" }, { min: 2, max: 10 }),
      pdb("api", { app: "api" }, { minAvailable: 2 }),
    ];
    expect((await runRule(pdbAllowsDisruption, resources)).violations).toHaveLength(1);
  });

  it("checks StatefulSets too", async () => {
    const statefulSet = workload("StatefulSet", "queue", undefined, { replicas: 1 });
    const resources = [statefulSet, pdb("queue", { app: "queue" }, { minAvailable: 1 })];
    expect((await runRule(pdbAllowsDisruption, resources)).violations).toHaveLength(1);
  });

  it("skips PDBs in namespaces the config excludes", async () => {
    const resources = [api, pdb("api", { app: "api" }, { maxUnavailable: 0 }, "kube-system")];
    expect((await runRule(pdbAllowsDisruption, resources)).violations).toEqual([]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(pdbAllowsDisruption, [
      api,
      pdb("api", { app: "api" }, { maxUnavailable: 0 }),
    ]);
  });
});

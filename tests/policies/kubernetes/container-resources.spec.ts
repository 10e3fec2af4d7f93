import { containerResourceLimitsBounded } from "../../../policies/kubernetes/container-resource-limits-bounded";
import { containerResourcesSet } from "../../../policies/kubernetes/container-resources-set";
import { parseQuantity } from "../../../policies/kubernetes/quantity";
import {
  compliantContainer,
  compliantPodSpec,
  expectLevelFromConfig,
  runRule,
  workload,
  workloadClasses,
  type WorkloadKind,
} from "../fixtures";

const kinds = Object.keys(workloadClasses) as WorkloadKind[];

describe("parseQuantity", () => {
  it.each([
    ["250m", 0.25],
    ["2", 2],
    ["2000m", 2],
    ["0.5", 0.5],
    ["512Mi", 512 * 2 ** 20],
    ["2Gi", 2 * 2 ** 30],
    ["1G", 1e9],
    ["1e3", 1000],
    ["1E", 1e18],
    [3, 3],
  ])("reads %p as %p base units", (quantity, expected) => {
    expect(parseQuantity(quantity)).toBeCloseTo(expected);
  });

  it.each(["", "2 Gi", "2GB", "abc", "1.2.3"])("rejects %p", (quantity) => {
    expect(parseQuantity(quantity)).toBeUndefined();
  });
});

describe("k8s-container-resources-set", () => {
  it.each(kinds)("accepts a %s whose containers set requests and limits", async (kind) => {
    const { violations } = await runRule(containerResourcesSet, [workload(kind, "api")]);
    expect(violations).toEqual([]);
  });

  it.each(kinds)("names each missing setting of a %s's container", async (kind) => {
    const podSpec = compliantPodSpec({
      containers: [
        compliantContainer({ resources: { requests: { cpu: "250m" }, limits: { memory: "2Gi" } } }),
      ],
    });
    const { messages } = await runRule(containerResourcesSet, [workload(kind, "api", podSpec)]);
    expect(messages).toEqual([
      `Set resources.requests.memory, resources.limits.cpu on container 'api' of ${kind} healthflow/api.`,
    ]);
  });

  it("checks init containers too", async () => {
    const podSpec = compliantPodSpec({
      initContainers: [compliantContainer({ name: "migrate", resources: {} })],
    });
    const { messages } = await runRule(containerResourcesSet, [workload("Deployment", "api", podSpec)]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain("init container 'migrate'");
  });

  it("skips namespaces the config excludes, on top of the system namespaces it always skips", async () => {
    const podSpec = compliantPodSpec({ containers: [compliantContainer({ resources: undefined })] });
    const system = [workload("Deployment", "coredns", podSpec, { namespace: "kube-system" })];
    const vendor = [workload("Deployment", "grafana", podSpec, { namespace: "monitoring" })];
    expect((await runRule(containerResourcesSet, system)).violations).toEqual([]);
    expect((await runRule(containerResourcesSet, vendor)).violations).toHaveLength(1);
    // A stack's list adds to the defaults: excluding "monitoring" must not start checking kube-system.
    const config = { excludedNamespaces: ["monitoring"] };
    expect((await runRule(containerResourcesSet, vendor, config)).violations).toEqual([]);
    expect((await runRule(containerResourcesSet, system, config)).violations).toEqual([]);
    expect((await runRule(containerResourcesSet, system, { excludedNamespaces: [] })).violations).toEqual([]);
  });

  it("takes its enforcement level from config", async () => {
    const podSpec = compliantPodSpec({ containers: [compliantContainer({ resources: {} })] });
    await expectLevelFromConfig(containerResourcesSet, [workload("Deployment", "api", podSpec)]);
  });
});

describe("k8s-container-resource-limits-bounded", () => {
  const withResources = (resources: Record<string, Record<string, string>>) =>
    workload("Deployment", "api", compliantPodSpec({ containers: [compliantContainer({ resources })] }));

  it("accepts the guide's api container (CPU ratio 8, memory ratio 4) under the defaults", async () => {
    const { violations } = await runRule(containerResourceLimitsBounded, [
      withResources({
        requests: { cpu: "250m", memory: "512Mi" },
        limits: { cpu: "2000m", memory: "2Gi" },
      }),
    ]);
    expect(violations).toEqual([]);
  });

  it("refuses limits above the maxima", async () => {
    const { messages } = await runRule(containerResourceLimitsBounded, [
      withResources({
        requests: { cpu: "2", memory: "4Gi" },
        limits: { cpu: "6", memory: "12Gi" },
      }),
    ]);
    expect(messages).toEqual([
      "Lower the cpu limit of container 'api' of Deployment healthflow/api from 6 to at most 4.",
      "Lower the memory limit of container 'api' of Deployment healthflow/api from 12Gi to at most 8Gi.",
    ]);
  });

  it("refuses a limit/request ratio above the bound", async () => {
    const { messages } = await runRule(containerResourceLimitsBounded, [
      withResources({
        requests: { cpu: "100m", memory: "256Mi" },
        limits: { cpu: "1", memory: "2Gi" },
      }),
    ]);
    expect(messages).toEqual([
      "Raise the cpu request (100m) or lower the limit (1) of container 'api' of Deployment healthflow/api: " +
        "limit / request is 10, above the allowed 8.",
      "Raise the memory request (256Mi) or lower the limit (2Gi) of container 'api' of Deployment healthflow/api: " +
        "limit / request is 8, above the allowed 4.",
    ]);
  });

  it("reports an invalid quantity instead of guessing", async () => {
    const { messages } = await runRule(containerResourceLimitsBounded, [
      withResources({
        requests: { cpu: "250m", memory: "512Mi" },
        limits: { cpu: "2 cores", memory: "2Gi" },
      }),
    ]);
    expect(messages).toEqual([
      "Fix the cpu limit '2 cores' of container 'api' of Deployment healthflow/api; it is not a valid quantity.",
    ]);
    const badRequest = await runRule(containerResourceLimitsBounded, [
      withResources({ requests: { cpu: "250m", memory: "512 MB" }, limits: { cpu: "1", memory: "2Gi" } }),
    ]);
    expect(badRequest.messages).toEqual([
      "Fix the memory request '512 MB' of container 'api' of Deployment healthflow/api; it is not a valid quantity.",
    ]);
  });

  it("applies the stack's configured bounds", async () => {
    const resources = [
      withResources({ requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "2000m", memory: "2Gi" } }),
    ];
    const strict = await runRule(containerResourceLimitsBounded, resources, {
      maxCpuLimit: "1",
      maxCpuLimitToRequestRatio: 4,
    });
    expect(strict.messages).toEqual([
      "Lower the cpu limit of container 'api' of Deployment healthflow/api from 2000m to at most 1.",
      "Raise the cpu request (250m) or lower the limit (2000m) of container 'api' of Deployment healthflow/api: " +
        "limit / request is 8, above the allowed 4.",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(containerResourceLimitsBounded, [
      withResources({ limits: { cpu: "16", memory: "1Gi" } }),
    ]);
  });
});

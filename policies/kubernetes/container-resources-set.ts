/**
 * Without requests the scheduler packs pods blindly; without limits one leaking container starves its
 * node's neighbours. Every container, init containers included, declares both for CPU and memory.
 */
import { configSchema } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import {
  containersOf,
  defaultKubernetesScope,
  describeContainer,
  describeWorkload,
  kubernetesScopeSchema,
  validateWorkloads,
} from "./workloads";

const requiredSettings = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const;

export const containerResourcesSet = resourcePolicy({
  name: "k8s-container-resources-set",
  description: "Every container and init container sets CPU and memory requests and limits.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: {
    checkov: ["CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"],
    kubeScore: ["container-resources"],
    polaris: ["cpuRequestsMissing", "cpuLimitsMissing", "memoryRequestsMissing", "memoryLimitsMissing"],
  },
  tags: ["kubernetes", "reliability"],
  remediationSteps:
    "Add resources.requests.{cpu,memory} (what the container needs under normal load) and " +
    "resources.limits.{cpu,memory} (the most it may use) to the container spec.",
  configSchema: configSchema(kubernetesScopeSchema),
  validateResource: validateWorkloads(defaultKubernetesScope, (workload, _config, reportViolation) => {
    for (const entry of containersOf(workload.podSpec, { includeInit: true })) {
      const resources = entry.container.resources;
      const missing = requiredSettings.filter((setting) => {
        const [group, resource] = setting.split(".") as ["requests" | "limits", string];
        const value = resources?.[group]?.[resource];
        return value === undefined || value === null || value === "";
      });
      if (missing.length > 0) {
        reportViolation(
          `Set ${missing.map((m) => `resources.${m}`).join(", ")} on ${describeContainer(entry)} ` +
            `of ${describeWorkload(workload)}.`,
        );
      }
    }
  }),
});

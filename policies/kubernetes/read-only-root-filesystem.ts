/**
 * A writable root filesystem lets an intruder drop tools and persist them for the container's life; the
 * app writes only to explicit volumes (an emptyDir for /tmp).
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

export const readOnlyRootFilesystem = resourcePolicy({
  name: "k8s-read-only-root-filesystem",
  description: "Containers mount their root filesystem read-only.",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: {
    checkov: ["CKV_K8S_22"],
    kubeScore: ["container-security-context-readonlyrootfilesystem"],
    polaris: ["notReadOnlyRootFilesystem"],
  },
  tags: ["kubernetes", "security"],
  remediationSteps:
    "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir volume wherever the process " +
    "must write (e.g. /tmp, caches).",
  configSchema: configSchema(kubernetesScopeSchema),
  validateResource: validateWorkloads(defaultKubernetesScope, (workload, _config, reportViolation) => {
    for (const entry of containersOf(workload.podSpec, { includeInit: true })) {
      if (entry.container.securityContext?.readOnlyRootFilesystem !== true) {
        reportViolation(
          `Set securityContext.readOnlyRootFilesystem: true on ${describeContainer(entry)} of ` +
            `${describeWorkload(workload)}, mounting an emptyDir where it needs to write.`,
        );
      }
    }
  }),
});

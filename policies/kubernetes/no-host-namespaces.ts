/**
 * Sharing the node's network, PID or IPC namespace removes the isolation between the pod and everything else
 * on the node (other pods' traffic, processes, shared memory).
 */
import { configSchema } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import { podSecurityStandard } from "./frameworks";
import {
  defaultKubernetesScope,
  describeWorkload,
  kubernetesScopeSchema,
  validateWorkloads,
} from "./workloads";

const hostNamespaceFields = ["hostNetwork", "hostPID", "hostIPC"] as const;

export const noHostNamespaces = resourcePolicy({
  name: "k8s-no-host-namespaces",
  description: "Pods do not share the node's network, PID or IPC namespace.",
  severity: "critical",
  enforcementLevel: "mandatory",
  mirrors: {
    checkov: ["CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"],
    polaris: ["hostNetworkSet", "hostPIDSet", "hostIPCSet"],
  },
  framework: podSecurityStandard("baseline", "Host Namespaces"),
  tags: ["kubernetes", "security"],
  remediationSteps: "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false).",
  configSchema: configSchema(kubernetesScopeSchema),
  validateResource: validateWorkloads(defaultKubernetesScope, (workload, _config, reportViolation) => {
    for (const field of hostNamespaceFields) {
      if (workload.podSpec[field] === true) {
        reportViolation(`Remove ${field}: true from the pod spec of ${describeWorkload(workload)}.`);
      }
    }
  }),
});

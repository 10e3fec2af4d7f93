/** A hostPath volume exposes the node's filesystem (kubelet credentials, container runtime socket) to the pod. */
import { configSchema } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import { podSecurityStandard } from "./frameworks";
import {
  defaultKubernetesScope,
  describeWorkload,
  kubernetesScopeSchema,
  validateWorkloads,
} from "./workloads";

export const noHostPathVolumes = resourcePolicy({
  name: "k8s-no-host-path-volumes",
  description: "Pods do not mount hostPath volumes.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_K8S_27"], other: ["Gatekeeper k8spsphostfilesystem"] },
  framework: podSecurityStandard("baseline", "HostPath Volumes"),
  tags: ["kubernetes", "security"],
  remediationSteps:
    "Replace the hostPath volume with an emptyDir, a ConfigMap/Secret, or a PersistentVolumeClaim.",
  configSchema: configSchema(kubernetesScopeSchema),
  validateResource: validateWorkloads(defaultKubernetesScope, (workload, _config, reportViolation) => {
    for (const volume of workload.podSpec.volumes ?? []) {
      if (volume.hostPath) {
        reportViolation(
          `Replace hostPath volume '${volume.name}' (${volume.hostPath.path}) of ${describeWorkload(workload)} ` +
            `with an emptyDir, ConfigMap, Secret or PersistentVolumeClaim.`,
        );
      }
    }
  }),
});

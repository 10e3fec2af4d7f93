/**
 * A process running as UID 0 inside a container is root on the node the moment anything else goes wrong
 * (a kernel bug, a mounted socket). Containers must be guaranteed non-root: runAsNonRoot, or a non-zero
 * runAsUser, at container or pod level.
 */
import { configSchema } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import { podSecurityStandard } from "./frameworks";
import {
  containersOf,
  defaultKubernetesScope,
  describeContainer,
  describeWorkload,
  kubernetesScopeSchema,
  validateWorkloads,
} from "./workloads";

export const runAsNonRoot = resourcePolicy({
  name: "k8s-run-as-non-root",
  description: "Containers run as a non-root user.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: {
    checkov: ["CKV_K8S_23"],
    kubeScore: ["container-security-context-user-group-id"],
    polaris: ["runAsRootAllowed"],
  },
  framework: podSecurityStandard("restricted", "Running as Non-root"),
  tags: ["kubernetes", "security"],
  remediationSteps:
    "Set securityContext.runAsNonRoot: true (and a non-zero runAsUser if the image's default user is root) " +
    "on the pod or on each container; build images with a non-root USER.",
  configSchema: configSchema(kubernetesScopeSchema),
  validateResource: validateWorkloads(defaultKubernetesScope, (workload, _config, reportViolation) => {
    const pod = workload.podSpec.securityContext;
    for (const entry of containersOf(workload.podSpec, { includeInit: true })) {
      const own = entry.container.securityContext;
      // Container settings override the pod's, field by field, as the kubelet resolves them.
      const nonRoot = own?.runAsNonRoot ?? pod?.runAsNonRoot;
      const user = own?.runAsUser ?? pod?.runAsUser;
      const where = `${describeContainer(entry)} of ${describeWorkload(workload)}`;
      if (user === 0) {
        reportViolation(
          `Set runAsUser to a non-zero UID for ${where}; it is configured to run as root (UID 0).`,
        );
      } else if (nonRoot !== true && !(typeof user === "number" && user > 0)) {
        reportViolation(`Set securityContext.runAsNonRoot: true for ${where} (pod or container level).`);
      }
    }
  }),
});

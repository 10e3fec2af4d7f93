/**
 * allowPrivilegeEscalation defaults to true, so a setuid binary in the image can regain what the container
 * was denied; a privileged container is the node. Both must be explicitly off.
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

export const noPrivilegeEscalation = resourcePolicy({
  name: "k8s-no-privilege-escalation",
  description: "Containers are not privileged and set allowPrivilegeEscalation: false.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: {
    checkov: ["CKV_K8S_16", "CKV_K8S_20"],
    kubeScore: ["container-security-context-privileged"],
    polaris: ["privilegeEscalationAllowed", "runAsPrivileged"],
  },
  framework: podSecurityStandard("restricted", "Privilege Escalation"),
  tags: ["kubernetes", "security"],
  remediationSteps:
    "Set securityContext.allowPrivilegeEscalation: false on every container and remove privileged: true.",
  configSchema: configSchema(kubernetesScopeSchema),
  validateResource: validateWorkloads(defaultKubernetesScope, (workload, _config, reportViolation) => {
    for (const entry of containersOf(workload.podSpec, { includeInit: true })) {
      const context = entry.container.securityContext;
      const where = `${describeContainer(entry)} of ${describeWorkload(workload)}`;
      if (context?.privileged === true) {
        reportViolation(`Remove securityContext.privileged: true from ${where}.`);
      }
      if (context?.allowPrivilegeEscalation !== false) {
        reportViolation(`Set securityContext.allowPrivilegeEscalation: false on ${where}.`);
      }
    }
  }),
});

/**
 * Container runtimes grant a default capability set (NET_RAW among them, enough for ARP/DNS spoofing inside
 * the cluster network). Drop ALL and add back only what the stack's config allows.
 */
import { configSchema, stringList } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import { podSecurityStandard } from "./frameworks";
import {
  containersOf,
  defaultKubernetesScope,
  describeContainer,
  describeWorkload,
  kubernetesScopeSchema,
  validateWorkloads,
  type KubernetesScope,
} from "./workloads";

interface CapabilitiesConfig extends KubernetesScope {
  allowedAddedCapabilities: string[];
}

const defaults: CapabilitiesConfig = {
  ...defaultKubernetesScope,
  // The only capability the restricted Pod Security Standard lets a container add back.
  allowedAddedCapabilities: ["NET_BIND_SERVICE"],
};

export const dropAllCapabilities = resourcePolicy({
  name: "k8s-drop-all-capabilities",
  description: "Containers drop ALL Linux capabilities and add back only allowed ones.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: {
    checkov: ["CKV_K8S_28", "CKV_K8S_37"],
    polaris: ["dangerousCapabilities", "insecureCapabilities"],
  },
  framework: podSecurityStandard("restricted", "Capabilities"),
  tags: ["kubernetes", "security"],
  remediationSteps:
    'Set securityContext.capabilities.drop: ["ALL"] and remove capabilities the app does not need.',
  configSchema: configSchema(kubernetesScopeSchema, {
    allowedAddedCapabilities: stringList(
      "Capabilities a container may add back after dropping ALL.",
      defaults.allowedAddedCapabilities,
    ),
  }),
  validateResource: validateWorkloads(defaults, (workload, config, reportViolation) => {
    for (const entry of containersOf(workload.podSpec, { includeInit: true })) {
      const capabilities = entry.container.securityContext?.capabilities;
      const where = `${describeContainer(entry)} of ${describeWorkload(workload)}`;
      if (!(capabilities?.drop ?? []).includes("ALL")) {
        reportViolation(`Set securityContext.capabilities.drop: ["ALL"] on ${where}.`);
      }
      const forbidden = (capabilities?.add ?? []).filter((c) => !config.allowedAddedCapabilities.includes(c));
      if (forbidden.length > 0) {
        reportViolation(
          `Remove capabilities ${forbidden.join(", ")} from securityContext.capabilities.add of ${where} ` +
            `(allowed: ${config.allowedAddedCapabilities.join(", ") || "none"}).`,
        );
      }
    }
  }),
});

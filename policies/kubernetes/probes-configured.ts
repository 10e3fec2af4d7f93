/**
 * Without a readiness probe a pod receives traffic before it can serve it (and during rollouts); without a
 * liveness probe a hung process is never restarted. Run-to-completion pods (Jobs, CronJobs, Pods with
 * restartPolicy Never/OnFailure) have no traffic to gate and are exempt.
 */
import { configSchema } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import {
  containersOf,
  defaultKubernetesScope,
  describeContainer,
  describeWorkload,
  kubernetesScopeSchema,
  longRunningKinds,
  validateWorkloads,
} from "./workloads";

export const probesConfigured = resourcePolicy({
  name: "k8s-probes-configured",
  description: "Containers of long-running workloads define readiness and liveness probes.",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: {
    checkov: ["CKV_K8S_8", "CKV_K8S_9"],
    kubeScore: ["pod-probes"],
    polaris: ["readinessProbeMissing", "livenessProbeMissing"],
  },
  tags: ["kubernetes", "reliability"],
  remediationSteps:
    "Add a readinessProbe (ready to serve) and a livenessProbe (process alive; cheaper and slower to fail " +
    "than readiness) to each container, e.g. httpGet on the app's /health endpoint.",
  configSchema: configSchema(kubernetesScopeSchema),
  validateResource: validateWorkloads(
    defaultKubernetesScope,
    (workload, _config, reportViolation) => {
      const restartPolicy = workload.podSpec.restartPolicy;
      if (workload.kind === "Pod" && (restartPolicy === "Never" || restartPolicy === "OnFailure")) {
        return;
      }
      // Init containers run to completion before the pod is ready, so only app containers need probes.
      for (const entry of containersOf(workload.podSpec, { includeInit: false })) {
        const missing = [
          entry.container.readinessProbe ? undefined : "readinessProbe",
          entry.container.livenessProbe ? undefined : "livenessProbe",
        ].filter((probe) => probe !== undefined);
        if (missing.length > 0) {
          reportViolation(
            `Add ${missing.join(" and ")} to ${describeContainer(entry)} of ${describeWorkload(workload)}.`,
          );
        }
      }
    },
    longRunningKinds,
  ),
});

import { cpuCores, memoryBytes } from "../../settings/formats";
import { type AppSizing, GiB } from "../../settings/catalog/capacity";

// The quota that caps the app namespace: the apps at every HPA's maximum, mid-rollout (the
// settings check, with settings/catalog/capacity.ts, that the node groups can hold them).

/**
 * A budget for the namespace's Jobs, beyond the apps, enough for all of them at once at their limits
 * (a pod is charged the larger of its init and main containers): the migration (1 CPU, 512 MiB), the
 * database audit set-up (0.5, 128 MiB), the backup (1, 1 GiB) and the restore drill (2, 2 GiB), whose
 * runs may overlap (a 3-hour backup, a 6-hour drill).
 */
const JOBS = { cpu: 5, memoryGiB: 4, pods: 4 };

/** Pods a rolling update adds above the replica count: maxSurge 25 %, which Kubernetes rounds up. */
export const surgePods = (replicas: number) => Math.ceil(replicas * 0.25);

/**
 * Pods one app may hold at its HPA's maximum during a rollout: the replicas, the surge of new pods,
 * and one more surge of old pods that are terminating: the quota charges a deleted pod until its
 * grace period has passed (kubernetes pkg/quota/v1/evaluator/core/pods.go, QuotaV1Pod), and the
 * rollout starts the next batch before then. Without that margin the quota refuses new pods and
 * the rollout stalls at full load.
 */
export const podsAtMaxRollout = (maxReplicas: number) => maxReplicas + 2 * surgePods(maxReplicas);

/** The namespace's ResourceQuota: the apps at maximum, mid-rollout, plus the Jobs' budget. */
export function namespaceQuota(apps: Record<string, AppSizing>): Record<string, string> {
  let pods = JOBS.pods;
  const total = {
    requestsCpu: JOBS.cpu,
    limitsCpu: JOBS.cpu,
    requestsMemory: JOBS.memoryGiB * GiB,
    limitsMemory: JOBS.memoryGiB * GiB,
  };
  for (const app of Object.values(apps)) {
    const n = podsAtMaxRollout(app.autoscaling.maxReplicas);
    pods += n;
    total.requestsCpu += n * cpuCores(app.resources.requests.cpu);
    total.limitsCpu += n * cpuCores(app.resources.limits.cpu);
    total.requestsMemory += n * memoryBytes(app.resources.requests.memory);
    total.limitsMemory += n * memoryBytes(app.resources.limits.memory);
  }
  const milli = (cores: number) => `${Math.ceil(cores * 1000)}m`;
  const mebi = (bytes: number) => `${Math.ceil(bytes / 1024 ** 2)}Mi`;
  return {
    "requests.cpu": milli(total.requestsCpu),
    "limits.cpu": milli(total.limitsCpu),
    "requests.memory": mebi(total.requestsMemory),
    "limits.memory": mebi(total.limitsMemory),
    pods: String(pods),
  };
}

import { cpuCores, memoryBytes } from "../../settings/formats";
import { type AppSizing, GiB, surge } from "../../settings/catalog/capacity";

// The quota that caps the app namespace: the apps at every HPA's maximum, mid-rollout (the
// settings check, with settings/catalog/capacity.ts, that the node groups can hold them).

/** A budget for the namespace's Jobs (migrations, backups), beyond the apps. */
const JOBS = { cpu: 2, memoryGiB: 2 };

/** The namespace's ResourceQuota: the apps at maximum, mid-rollout, plus the Jobs' budget. */
export function namespaceQuota(apps: Record<string, AppSizing>): Record<string, string> {
  let pods = 4;
  const total = {
    requestsCpu: JOBS.cpu,
    limitsCpu: JOBS.cpu,
    requestsMemory: JOBS.memoryGiB * GiB,
    limitsMemory: JOBS.memoryGiB * GiB,
  };
  for (const app of Object.values(apps)) {
    const n = surge(app.autoscaling.maxReplicas);
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

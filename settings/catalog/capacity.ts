import { cpuCores, memoryBytes } from "../formats";
import { allocatable, INSTANCE_TYPES } from "./instances";

// Capacity arithmetic the settings check: what the HPAs can ask for at their maximum and what the
// node groups can give at theirs (components/workloads/capacity.ts sizes the namespace's quota).

export interface AppSizing {
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  autoscaling: { maxReplicas: number };
}
interface GroupSizing {
  instanceTypes: string[];
  maxSize: number;
}

export const GiB = 1024 ** 3;
/** A rollout at the HPA's maximum adds maxSurge (25 %) more pods for a while. */
export const surge = (replicas: number) => Math.ceil(replicas * 1.25);

/**
 * CPU (cores) and memory (GiB) the apps request with every HPA at its maximum, mid-rollout, in one
 * of `zones` zones, with each app's pods spread evenly over the zones: ceil(pods / zones) a zone.
 * The apps' zone spread (components/workloads/spec.ts) is a preference (`ScheduleAnyway`), which the
 * scheduler meets while each zone has room and the autoscaler keeps the zones' groups balanced;
 * where one zone fills, pods go to the others, which the same proof leaves room in.
 */
export function requestsAtMax(
  apps: Record<string, AppSizing>,
  zones = 1,
): { cpu: number; memoryGiB: number } {
  return Object.values(apps).reduce(
    (sum, app) => {
      const pods = Math.ceil(surge(app.autoscaling.maxReplicas) / zones);
      return {
        cpu: sum.cpu + pods * cpuCores(app.resources.requests.cpu),
        memoryGiB: sum.memoryGiB + (pods * memoryBytes(app.resources.requests.memory)) / GiB,
      };
    },
    { cpu: 0, memoryGiB: 0 },
  );
}

/** What the node groups offer pods at their maximum size (the smallest allowed type counts), in one zone. */
export function allocatableAtMax(groups: GroupSizing[]): { cpu: number; memoryGiB: number } {
  return groups.reduce(
    (sum, group) => {
      const sizes = group.instanceTypes.filter((t) => INSTANCE_TYPES[t]).map(allocatable);
      return {
        cpu: sum.cpu + group.maxSize * Math.min(...sizes.map((s) => s.cpu)),
        memoryGiB: sum.memoryGiB + group.maxSize * Math.min(...sizes.map((s) => s.memoryGiB)),
      };
    },
    { cpu: 0, memoryGiB: 0 },
  );
}

/**
 * Null when, in each of `zones` zones, the apps' share at every HPA's maximum fits the zone's node
 * groups at their maximum (the settings' sizes are per zone) with `headroomPercent` left for system
 * pods, monitoring and jobs; otherwise a sentence with one zone's numbers.
 */
export function capacityProblem(
  apps: Record<string, AppSizing>,
  groups: GroupSizing[],
  headroomPercent: number,
  zones: number,
): string | null {
  const need = requestsAtMax(apps, zones);
  const have = allocatableAtMax(groups);
  const usable = 1 - headroomPercent / 100;
  const short = [
    need.cpu > have.cpu * usable
      ? `CPU ${need.cpu.toFixed(2)} > ${(have.cpu * usable).toFixed(2)} cores`
      : "",
    need.memoryGiB > have.memoryGiB * usable
      ? `memory ${need.memoryGiB.toFixed(1)} > ${(have.memoryGiB * usable).toFixed(1)} GiB`
      : "",
  ].filter(Boolean);
  return short.length
    ? `cannot hold the apps at every HPA's maximum with ${headroomPercent}% headroom in each of ${zones} zones (each app's pods spread evenly over the zones, each zone's node groups at maxSize): ${short.join(", ")} (raise nodeGroups maxSize or lower maxReplicas)`
    : null;
}

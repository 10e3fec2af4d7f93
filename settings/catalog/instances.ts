// vCPUs and memory of the EC2 instance types a node group may use, from AWS's instance type
// specifications (docs.aws.amazon.com/ec2/latest/instancetypes/gp.html and co.html, mo.html,
// "Amazon EC2 instance type specifications"). A type missing here is refused by the settings, so
// the capacity checks never guess.

export interface InstanceSize {
  vcpu: number;
  memoryGiB: number;
  architecture: "arm64" | "x86_64";
  /** Pods per node with the VPC CNI (ENIs x (IPs per ENI - 1) + 2; AWS's eni-max-pods.txt). */
  maxPods: number;
}

export const INSTANCE_TYPES: Readonly<Record<string, InstanceSize>> = {
  "t4g.medium": { vcpu: 2, memoryGiB: 4, architecture: "arm64", maxPods: 17 },
  "t4g.large": { vcpu: 2, memoryGiB: 8, architecture: "arm64", maxPods: 35 },
  "m6g.large": { vcpu: 2, memoryGiB: 8, architecture: "arm64", maxPods: 29 },
  "m6g.xlarge": { vcpu: 4, memoryGiB: 16, architecture: "arm64", maxPods: 58 },
  "m7g.large": { vcpu: 2, memoryGiB: 8, architecture: "arm64", maxPods: 29 },
  "m7g.xlarge": { vcpu: 4, memoryGiB: 16, architecture: "arm64", maxPods: 58 },
  "m7g.2xlarge": { vcpu: 8, memoryGiB: 32, architecture: "arm64", maxPods: 58 },
  "c7g.large": { vcpu: 2, memoryGiB: 4, architecture: "arm64", maxPods: 29 },
  "c7g.xlarge": { vcpu: 4, memoryGiB: 8, architecture: "arm64", maxPods: 58 },
  "r7g.large": { vcpu: 2, memoryGiB: 16, architecture: "arm64", maxPods: 29 },
  "r7g.xlarge": { vcpu: 4, memoryGiB: 32, architecture: "arm64", maxPods: 58 },
  "m7i.large": { vcpu: 2, memoryGiB: 8, architecture: "x86_64", maxPods: 29 },
  "m7i.xlarge": { vcpu: 4, memoryGiB: 16, architecture: "x86_64", maxPods: 58 },
};

export interface NodeGroupSize {
  instanceTypes: string[];
  minSize: number;
  desiredSize: number;
  maxSize: number;
}

/**
 * What node groups give at a given size in `zones` zones (each group's sizes are per zone). With
 * several instance types a group may get any of them, so the smallest counts: a capacity promise
 * must hold whatever EC2 hands out.
 */
export function capacity(groups: NodeGroupSize[], at: "minSize" | "desiredSize" | "maxSize", zones: number) {
  return groups.reduce(
    (total, group) => {
      const sizes = group.instanceTypes.map((t) => INSTANCE_TYPES[t]);
      const nodes = group[at] * zones;
      return {
        vcpu: total.vcpu + nodes * Math.min(...sizes.map((s) => s.vcpu)),
        memoryGiB: total.memoryGiB + nodes * Math.min(...sizes.map((s) => s.memoryGiB)),
      };
    },
    { vcpu: 0, memoryGiB: 0 },
  );
}

/**
 * What a node offers pods after the kubelet's reservation, by the EKS AMI's formula: CPU 6 % of
 * the first core, 1 % of the second, 0.5 % of the third and fourth, 0.25 % of the rest; memory
 * 255 MiB + 11 MiB per pod, plus the 100 MiB eviction threshold.
 */
export function allocatable(type: string): { cpu: number; memoryGiB: number } {
  const size = INSTANCE_TYPES[type];
  const shares = [0.06, 0.01, 0.005, 0.005];
  const reservedCpu = Array.from({ length: size.vcpu }, (_, core) => shares[core] ?? 0.0025).reduce(
    (a, b) => a + b,
    0,
  );
  const reservedMiB = 255 + 11 * size.maxPods + 100;
  return { cpu: size.vcpu - reservedCpu, memoryGiB: size.memoryGiB - reservedMiB / 1024 };
}

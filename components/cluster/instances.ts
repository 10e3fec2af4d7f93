// vCPUs and memory of the EC2 instance types a node group may use, from AWS's instance type
// specifications (docs.aws.amazon.com/ec2/latest/instancetypes/gp.html and co.html, mo.html,
// "Amazon EC2 instance type specifications"). A type missing here is refused by the settings, so
// the capacity checks never guess.

export interface InstanceSize {
  vcpu: number;
  memoryGiB: number;
  architecture: "arm64" | "x86_64";
}

export const INSTANCE_TYPES: Readonly<Record<string, InstanceSize>> = {
  "t4g.medium": { vcpu: 2, memoryGiB: 4, architecture: "arm64" },
  "t4g.large": { vcpu: 2, memoryGiB: 8, architecture: "arm64" },
  "m6g.large": { vcpu: 2, memoryGiB: 8, architecture: "arm64" },
  "m6g.xlarge": { vcpu: 4, memoryGiB: 16, architecture: "arm64" },
  "m7g.large": { vcpu: 2, memoryGiB: 8, architecture: "arm64" },
  "m7g.xlarge": { vcpu: 4, memoryGiB: 16, architecture: "arm64" },
  "m7g.2xlarge": { vcpu: 8, memoryGiB: 32, architecture: "arm64" },
  "c7g.large": { vcpu: 2, memoryGiB: 4, architecture: "arm64" },
  "c7g.xlarge": { vcpu: 4, memoryGiB: 8, architecture: "arm64" },
  "r7g.large": { vcpu: 2, memoryGiB: 16, architecture: "arm64" },
  "r7g.xlarge": { vcpu: 4, memoryGiB: 32, architecture: "arm64" },
  "m7i.large": { vcpu: 2, memoryGiB: 8, architecture: "x86_64" },
  "m7i.xlarge": { vcpu: 4, memoryGiB: 16, architecture: "x86_64" },
};

export interface NodeGroupSize {
  instanceTypes: string[];
  minSize: number;
  desiredSize: number;
  maxSize: number;
}

/**
 * What node groups give at a given size. With several instance types a group may get any of
 * them, so the smallest counts: a capacity promise must hold whatever EC2 hands out.
 */
export function capacity(groups: NodeGroupSize[], at: "minSize" | "desiredSize" | "maxSize") {
  return groups.reduce(
    (total, group) => {
      const sizes = group.instanceTypes.map((t) => INSTANCE_TYPES[t]);
      return {
        vcpu: total.vcpu + group[at] * Math.min(...sizes.map((s) => s.vcpu)),
        memoryGiB: total.memoryGiB + group[at] * Math.min(...sizes.map((s) => s.memoryGiB)),
      };
    },
    { vcpu: 0, memoryGiB: 0 },
  );
}

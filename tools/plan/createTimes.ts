// Typical time to create one resource of a type, for the plan's estimate of a fresh `pulumi up`
// (timeline.ts). These are planning figures, not guarantees: each names where it comes from, and
// the provider's own create timeout is the ceiling where one is published. A type not listed
// takes DEFAULT_SECONDS (an API call and its eventual consistency).

export interface CreateTime {
  /** The type token, e.g. aws:eks/cluster:Cluster. */
  type: string;
  /** Only resources whose inputs match (e.g. a read replica); the first matching row wins. */
  when?: (inputs: Record<string, unknown>) => boolean;
  /** What the row covers, for the printed path. */
  label?: string;
  seconds: number;
  source: string;
}

export const DEFAULT_SECONDS = 5;

const minutes = (m: number) => m * 60;

export const CREATE_TIMES: CreateTime[] = [
  {
    type: "aws:eks/cluster:Cluster",
    seconds: minutes(10),
    source:
      "AWS containers-roadmap#1227 (control plane ~15 min, since reduced; 10 min typical today); provider create timeout 30 min",
  },
  {
    type: "aws:eks/nodeGroup:NodeGroup",
    seconds: minutes(4),
    source: "EC2 launch + node join; provider create timeout 60 min",
  },
  {
    type: "aws:eks/addon:Addon",
    seconds: minutes(1.5),
    source:
      "EKS add-on becomes ACTIVE once its pods run (CoreDNS, EBS CSI need nodes); provider timeout 20 min",
  },
  {
    type: "aws:rds/instance:Instance",
    when: (inputs) => inputs.replicateSourceDb !== undefined,
    label: "read replica",
    seconds: minutes(10),
    source:
      "AWS workshop 'RDS read replicas' (000115.awsstudygroup.com: about 10 minutes); provider timeout 40 min",
  },
  {
    type: "aws:rds/instance:Instance",
    when: (inputs) => inputs.multiAz === true,
    label: "Multi-AZ",
    seconds: minutes(18),
    source: "typical RDS Multi-AZ create (primary, standby and first backup); provider create timeout 40 min",
  },
  {
    type: "aws:rds/instance:Instance",
    label: "single-AZ",
    seconds: minutes(10),
    source: "typical RDS single-AZ create including the first backup; provider create timeout 40 min",
  },
  {
    type: "aws:elasticache/replicationGroup:ReplicationGroup",
    seconds: minutes(12),
    source: "typical ElastiCache replication group create; provider create timeout 60 min",
  },
  { type: "aws:ec2/natGateway:NatGateway", seconds: minutes(2), source: "NAT gateway reaches 'available'" },
  { type: "aws:ec2/vpcEndpoint:VpcEndpoint", seconds: 60, source: "gateway endpoint and route updates" },
  { type: "aws:iam/role:Role", seconds: 10, source: "IAM eventual consistency (the provider retries)" },
  { type: "aws:kms/key:Key", seconds: 10, source: "KMS CreateKey and policy" },
  {
    type: "kubernetes:helm.sh/v4:Chart",
    when: (inputs) => String(inputs.chart ?? "").includes("nginx-ingress"),
    label: "nginx-ingress (NLB)",
    seconds: minutes(4),
    source: "Pulumi awaits the chart's objects; its LoadBalancer Service waits for the NLB's hostname",
  },
  {
    type: "kubernetes:helm.sh/v4:Chart",
    seconds: minutes(3),
    source: "Pulumi awaits the chart's Deployments/StatefulSets ready (pulumi-kubernetes await logic)",
  },
  {
    type: "kubernetes:apps/v1:Deployment",
    seconds: 90,
    source: "rollout until the new ReplicaSet's pods are ready (image pull + readiness)",
  },
  { type: "kubernetes:batch/v1:Job", seconds: minutes(2), source: "Pulumi awaits the Job's completion" },
  {
    type: "kubernetes:networking.k8s.io/v1:Ingress",
    seconds: 60,
    source: "Pulumi awaits the controller's status (the NLB hostname)",
  },
  { type: "kubernetes:core/v1:Namespace", seconds: 2, source: "API call" },
  { type: "cloudflare:index/ruleset:Ruleset", seconds: 3, source: "API call" },
];

/** How long creating this resource takes, and the row that says so (undefined: the default). */
export function createTime(
  type: string,
  inputs: Record<string, unknown>,
): { seconds: number; row?: CreateTime } {
  const row = CREATE_TIMES.find((r) => r.type === type && (!r.when || r.when(inputs)));
  if (row) return { seconds: row.seconds, row };
  // Providers, components and random values take no time of their own.
  if (type.startsWith("pulumi:") || type.startsWith("random:")) return { seconds: 0 };
  return { seconds: DEFAULT_SECONDS };
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { assumeRolePolicy } from "../aws/iam";

type NodeGroupSettings = NonNullable<Settings["cluster"]>["nodeGroups"][number];

const NODE_POLICIES = [
  "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
  "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
  "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
];

/** A zone the nodes run in and its private subnet. */
export interface NodeZone {
  /** e.g. sa-east-1a. */
  zone: string;
  subnetId: pulumi.Input<string>;
}

export interface NodeGroupsArgs {
  clusterName: pulumi.Input<string>;
  /** Each is created once per zone, with these sizes in every zone. */
  groups: NodeGroupSettings[];
  /** The control plane's minor, which the nodes run too (with their group's AMI `releaseVersion`). */
  kubernetesVersion: string;
  zones: NodeZone[];
  /** The customer key of the root volumes (its policy lets EC2 Auto Scaling use it). */
  volumesKeyArn: pulumi.Input<string>;
  /** Tags for the instances, their volumes and network interfaces (the launch template's tag specifications). */
  tags: Record<string, string>;
  /** Their Name tag is `<namePrefix>-<group>-<zone>`, e.g. healthflow-production-general-sa-east-1a. */
  namePrefix: string;
  provider: aws.Provider;
  parent: pulumi.Resource;
  /** What must exist before a node joins (the CNI, kube-proxy, the pod identity agent). */
  dependsOn: pulumi.Resource[];
}

/** AL2023 EKS-optimized images for the group's architecture. */
export function amiType(architecture: NodeGroupSettings["architecture"]): string {
  return architecture === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

/** The zone's letter, which names its node group in EKS: `a` for sa-east-1a. */
export function zoneLetter(zone: string): string {
  return zone.slice(-1);
}

/**
 * Labels on which the Cluster Autoscaler must not tell node groups apart (`--balancing-ignore-label`).
 * EKS labels a managed group's nodes with the launch template they came from, and each zone's group
 * has its own: without these the autoscaler sees the zones' groups as different, grows whichever is
 * cheapest and never balances them (kubernetes/autoscaler#3515, awsdocs/amazon-eks-user-guide#411;
 * processors/nodegroupset/aws_nodegroups.go ignores eks.amazonaws.com/nodegroup and the zone labels,
 * not these).
 */
export const BALANCING_IGNORED_LABELS = [
  "eks.amazonaws.com/sourceLaunchTemplateId",
  "eks.amazonaws.com/sourceLaunchTemplateVersion",
];

/**
 * Managed node groups, each setting's group once per zone (a subnet each, the same sizes, labels and
 * launch template settings), as the Cluster Autoscaler's AWS README asks when pods use zonal EBS
 * volumes: a multi-zone group may grow in a zone where the pending pod's volume is not, and the pod
 * stays Pending; with one group per zone the autoscaler grows the volume's zone, and
 * `--balance-similar-node-groups` keeps the zones even (components/cluster/autoscaler.ts).
 *
 * Each has a launch template: IMDSv2 only with a hop limit of 1 (pods cannot reach the node's
 * credentials through the metadata service), a gp3 root volume encrypted with the cluster's customer
 * key, and the stack's tags on the instances, volumes and network interfaces (the provider's default
 * tags stop at the launch template itself). EKS tags each group's Auto Scaling group for Cluster
 * Autoscaler auto-discovery; the autoscaler owns `desiredSize` after creation.
 */
export function createNodeGroups(args: NodeGroupsArgs): { role: aws.iam.Role; groups: aws.eks.NodeGroup[] } {
  const child = { parent: args.parent, provider: args.provider };
  const role = new aws.iam.Role(
    "node-role",
    { assumeRolePolicy: assumeRolePolicy({ Service: "ec2.amazonaws.com" }) },
    child,
  );
  const attachments = NODE_POLICIES.map(
    (policyArn) =>
      new aws.iam.RolePolicyAttachment(
        `node-${policyArn.split("/").pop()}`,
        { role: role.name, policyArn },
        child,
      ),
  );

  const groups = args.groups.flatMap((group) =>
    args.zones.map(({ zone, subnetId }) => {
      const name = `${group.name}-${zone}`;
      const template = new aws.ec2.LaunchTemplate(
        `${name}-template`,
        {
          description: `EKS node group ${group.name} in ${zone}`,
          metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
          blockDeviceMappings: [
            {
              deviceName: "/dev/xvda",
              ebs: {
                volumeSize: group.diskSizeGiB,
                volumeType: "gp3",
                encrypted: "true",
                kmsKeyId: args.volumesKeyArn,
                deleteOnTermination: "true",
              },
            },
          ],
          tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
            resourceType,
            tags: { ...args.tags, Name: `${args.namePrefix}-${name}` },
          })),
          updateDefaultVersion: true,
        },
        child,
      );
      return new aws.eks.NodeGroup(
        name,
        {
          clusterName: args.clusterName,
          // EKS caps the name at 63 characters: the group's (34 at most), "-a-", a 26-character suffix.
          nodeGroupNamePrefix: `${group.name}-${zoneLetter(zone)}-`,
          nodeRoleArn: role.arn,
          subnetIds: [subnetId],
          amiType: amiType(group.architecture),
          // The nodes follow the control plane: without `version` and `releaseVersion` the provider
          // leaves a group on the minor and AMI it was created with ("will only perform drift
          // detection if a configuration value is provided", terraform-provider-aws
          // eks_node_group docs). A change of either is one UpdateNodegroupVersion call, which
          // replaces the nodes `updateConfig.maxUnavailable` at a time, draining each within the
          // PodDisruptionBudgets (EKS user guide, managed node update behavior); no `forceUpdateVersion`.
          version: args.kubernetesVersion,
          releaseVersion: group.releaseVersion,
          capacityType: "ON_DEMAND",
          instanceTypes: group.instanceTypes,
          scalingConfig: { minSize: group.minSize, desiredSize: group.desiredSize, maxSize: group.maxSize },
          updateConfig: { maxUnavailable: 1 },
          launchTemplate: { id: template.id, version: pulumi.interpolate`${template.latestVersion}` },
          // The same in every zone: the autoscaler balances groups whose labels match.
          labels: { "healthflow.io/node-group": group.name },
        },
        {
          ...child,
          dependsOn: [...args.dependsOn, ...attachments],
          ignoreChanges: ["scalingConfig.desiredSize"],
          // A replacement (new instance type) brings the new group up before the old one goes.
          deleteBeforeReplace: false,
        },
      );
    }),
  );
  return { role, groups };
}

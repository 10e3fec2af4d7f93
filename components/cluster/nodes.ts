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

export interface NodeGroupsArgs {
  clusterName: pulumi.Input<string>;
  groups: NodeGroupSettings[];
  subnetIds: pulumi.Input<string>[];
  /** The customer key of the root volumes (its policy lets EC2 Auto Scaling use it). */
  volumesKeyArn: pulumi.Input<string>;
  /** Tags for the instances, their volumes and network interfaces (the launch template's tag specifications). */
  tags: Record<string, string>;
  /** Their Name tag is `<namePrefix>-<group>`, e.g. healthflow-production-general. */
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

/**
 * Managed node groups with a launch template: IMDSv2 only with a hop limit of 1 (pods cannot
 * reach the node's credentials through the metadata service), a gp3 root volume encrypted with
 * the cluster's customer key, and the stack's tags on the instances, volumes and network
 * interfaces (the provider's default tags stop at the launch template itself).
 * EKS tags each group's Auto Scaling group for Cluster Autoscaler auto-discovery; the autoscaler
 * owns `desiredSize` after creation.
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

  const groups = args.groups.map((group) => {
    const template = new aws.ec2.LaunchTemplate(
      `${group.name}-template`,
      {
        description: `EKS node group ${group.name}`,
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
          tags: { ...args.tags, Name: `${args.namePrefix}-${group.name}` },
        })),
        updateDefaultVersion: true,
      },
      child,
    );
    return new aws.eks.NodeGroup(
      group.name,
      {
        clusterName: args.clusterName,
        nodeGroupNamePrefix: `${group.name}-`,
        nodeRoleArn: role.arn,
        subnetIds: args.subnetIds,
        amiType: amiType(group.architecture),
        capacityType: "ON_DEMAND",
        instanceTypes: group.instanceTypes,
        scalingConfig: { minSize: group.minSize, desiredSize: group.desiredSize, maxSize: group.maxSize },
        updateConfig: { maxUnavailable: 1 },
        launchTemplate: { id: template.id, version: pulumi.interpolate`${template.latestVersion}` },
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
  });
  return { role, groups };
}

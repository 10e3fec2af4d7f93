import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { podIdentityRole } from "../aws/iam";

type AddonVersions = NonNullable<Settings["cluster"]>["addons"];

export interface AddonArgs {
  clusterName: pulumi.Input<string>;
  versions: AddonVersions;
  provider: aws.Provider;
  parent: pulumi.Resource;
}

function addon(
  args: AddonArgs,
  addonName: string,
  addonVersion: string,
  extra: Partial<aws.eks.AddonArgs> = {},
  dependsOn: pulumi.Resource[] = [],
): aws.eks.Addon {
  return new aws.eks.Addon(
    addonName,
    {
      clusterName: args.clusterName,
      addonName,
      addonVersion,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "PRESERVE",
      ...extra,
    },
    { parent: args.parent, provider: args.provider, dependsOn },
  );
}

/** What a node needs to join and run pods: the CNI (with NetworkPolicy enforcement), kube-proxy, the pod identity agent. */
export function addonsBeforeNodes(args: AddonArgs): aws.eks.Addon[] {
  return [
    addon(args, "vpc-cni", args.versions.vpcCni, {
      configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
    }),
    addon(args, "kube-proxy", args.versions.kubeProxy),
    addon(args, "eks-pod-identity-agent", args.versions.podIdentityAgent),
  ];
}

/** What needs running nodes: CoreDNS, the EBS CSI driver (its IAM through Pod Identity), metrics-server for the HPAs. */
export function addonsAfterNodes(args: AddonArgs, nodes: pulumi.Resource[]): aws.eks.Addon[] {
  const ebsRole = podIdentityRole("ebs-csi-driver", args.provider, args.parent);
  const ebsPolicy = new aws.iam.RolePolicyAttachment(
    "ebs-csi-driver-policy",
    { role: ebsRole.name, policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" },
    { parent: args.parent, provider: args.provider },
  );
  return [
    addon(args, "coredns", args.versions.coredns, {}, nodes),
    addon(
      args,
      "aws-ebs-csi-driver",
      args.versions.ebsCsiDriver,
      { podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: "ebs-csi-controller-sa" }] },
      [...nodes, ebsPolicy],
    ),
    addon(args, "metrics-server", args.versions.metricsServer, {}, nodes),
  ];
}

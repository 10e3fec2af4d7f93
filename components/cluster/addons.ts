import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { ADDON_NAMES } from "../../settings/catalog/addons";
import { podIdentityRole } from "../aws/iam";
import { ebsCsiKeyPolicy } from "./storage";

type AddonVersions = NonNullable<Settings["cluster"]>["addons"];

export interface AddonArgs {
  clusterName: pulumi.Input<string>;
  versions: AddonVersions;
  /** The cluster's volume key: the EBS CSI driver creates and attaches volumes under it. */
  volumesKeyArn: pulumi.Input<string>;
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
    addon(args, ADDON_NAMES.vpcCni, args.versions.vpcCni, {
      configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
    }),
    addon(args, ADDON_NAMES.kubeProxy, args.versions.kubeProxy),
    addon(args, ADDON_NAMES.podIdentityAgent, args.versions.podIdentityAgent),
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
  // The managed policy covers the AWS-managed key only; the cluster's own key needs its grants.
  const ebsKey = new aws.iam.RolePolicy(
    "ebs-csi-driver-volumes-key",
    { role: ebsRole.id, policy: ebsCsiKeyPolicy(args.volumesKeyArn) },
    { parent: args.parent, provider: args.provider },
  );
  return [
    addon(args, ADDON_NAMES.coredns, args.versions.coredns, {}, nodes),
    addon(
      args,
      ADDON_NAMES.ebsCsiDriver,
      args.versions.ebsCsiDriver,
      { podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: "ebs-csi-controller-sa" }] },
      [...nodes, ebsPolicy, ebsKey],
    ),
    addon(args, ADDON_NAMES.metricsServer, args.versions.metricsServer, {}, nodes),
  ];
}

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { kmsKeyPolicy } from "../aws/kms";
import { encryptedLogGroups } from "../aws/logs";
import { assumeRolePolicy } from "../aws/iam";
import { addonsAfterNodes, addonsBeforeNodes } from "./addons";
import { installClusterAutoscaler } from "./autoscaler";
import { kubeconfig } from "./kubeconfig";
import { createNodeGroups, type NodeZone } from "./nodes";
import { storageClasses, volumeKey } from "./storage";

/** Every control-plane log type EKS has (CIS EKS 2.1.1). */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/** What the EKS cluster of a staging/production stack needs. */
export interface ClusterArgs {
  /** `healthflow:cluster`: version, endpoint CIDRs, access roles, node groups, add-on versions. Required. */
  cluster: NonNullable<Settings["cluster"]>;
  /** The AWS region. Required. */
  region: string;
  /** The cluster's name, e.g. "healthflow-production". Required. */
  name: string;
  /**
   * The private subnet of each zone, for the control plane's network interfaces and the nodes (a
   * node group per zone). Required.
   */
  privateSubnets: NodeZone[];
  /**
   * EC2 Auto Scaling's service-linked role (the settings' preflight finds it): it launches the
   * nodes, so the key of their root volumes names it. Required.
   */
  autoscalingRoleArn: pulumi.Input<string>;
  /**
   * Tags for what EC2 and the EBS CSI driver create on the cluster's behalf (instances, volumes,
   * network interfaces), which the provider's default tags do not reach. Default: none.
   */
  tags?: Record<string, string>;
  /**
   * Security groups inside the VPC that reach the Kubernetes API on 443 (the CI runners): the
   * private endpoint's network interfaces carry the cluster's security group. Default: none.
   */
  apiClientSecurityGroupIds?: pulumi.Input<string>[];
  /** The stack's AWS provider. Required. */
  provider: aws.Provider;
  /** Production: `protect` on the cluster and its key, and EKS deletion protection. Default false. */
  protect?: boolean;
}

/**
 * EKS with API authentication (access entries only; no implicit creator admin), all control-plane
 * logs, KMS envelope encryption of Secrets, a private endpoint (public only from the configured
 * CIDRs), managed Graviton node groups with IMDSv2 (one per zone), the add-ons the platform needs, the Cluster
 * Autoscaler, and a Kubernetes provider for every Kubernetes component.
 */
export class Cluster extends pulumi.ComponentResource {
  readonly eks: aws.eks.Cluster;
  /** The provider every Kubernetes resource of the program uses. */
  readonly k8sProvider: k8s.Provider;
  /** Kubeconfig using `aws eks get-token`; a secret. */
  readonly kubeconfig: pulumi.Output<string>;
  /** The security group EKS puts on the control plane and managed nodes. */
  readonly clusterSecurityGroupId: pulumi.Output<string>;
  readonly oidcIssuer: pulumi.Output<string>;
  readonly nodeGroups: aws.eks.NodeGroup[];
  readonly nodeRole: aws.iam.Role;
  /** The customer key of the nodes' root volumes and of every volume the StorageClasses create. */
  readonly volumesKey: aws.kms.Key;
  /** The StorageClass for scratch volumes that must not outlive their pod (`reclaimPolicy: Delete`). */
  readonly scratchStorageClass: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:cluster:Cluster", name, {}, opts);
    const { cluster } = args;
    const child = { parent: this, provider: args.provider };
    const tags = { Name: args.name };

    const secretsKey = new aws.kms.Key(
      "secrets-key",
      {
        description: `${args.name} Kubernetes Secrets envelope encryption`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: kmsKeyPolicy(args.provider),
        tags,
      },
      { ...child, protect: args.protect },
    );
    const role = new aws.iam.Role(
      "cluster-role",
      {
        assumeRolePolicy: assumeRolePolicy({ Service: "eks.amazonaws.com" }, [
          "sts:AssumeRole",
          "sts:TagSession",
        ]),
        tags,
      },
      child,
    );
    const clusterPolicy = new aws.iam.RolePolicyAttachment(
      "cluster-policy",
      { role: role.name, policyArn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy" },
      child,
    );
    const secretsKeyAccess = new aws.iam.RolePolicy(
      "cluster-secrets-key",
      {
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
              Resource: secretsKey.arn,
            },
          ],
        }),
      },
      child,
    );

    const controlPlaneLogs = encryptedLogGroups("control-plane", {
      description: `${args.name} EKS control plane`,
      groups: { logs: `/aws/eks/${args.name}/cluster` },
      retentionDays: cluster.logRetentionDays,
      region: args.region,
      provider: args.provider,
      parent: this,
      protect: args.protect,
    });
    this.eks = new aws.eks.Cluster(
      "eks",
      {
        name: args.name,
        version: cluster.kubernetesVersion,
        roleArn: role.arn,
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
        enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
        encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ["secrets"] },
        vpcConfig: {
          subnetIds: args.privateSubnets.map((s) => s.subnetId),
          endpointPrivateAccess: true,
          endpointPublicAccess: cluster.publicAccessCidrs.length > 0,
          publicAccessCidrs: cluster.publicAccessCidrs.length > 0 ? cluster.publicAccessCidrs : undefined,
        },
        // The stack's choice: AWS upgrading the control plane itself (STANDARD) or not (EXTENDED).
        upgradePolicy: { supportType: cluster.supportType },
        // Networking add-ons are installed below, as managed add-ons with pinned versions.
        bootstrapSelfManagedAddons: false,
        deletionProtection: args.protect ?? false,
        tags,
      },
      {
        ...child,
        protect: args.protect,
        // The role's permissions and the log group exist before the cluster and outlive it, so
        // EKS can clean up its network interfaces on delete and never creates its own log group.
        dependsOn: [clusterPolicy, secretsKeyAccess, ...controlPlaneLogs.groups],
      },
    );
    const access = this.grantAccess(cluster, child);
    const apiClients = (args.apiClientSecurityGroupIds ?? []).map(
      (groupId, i) =>
        new aws.vpc.SecurityGroupIngressRule(
          `api-from-client-${i}`,
          {
            securityGroupId: this.eks.vpcConfig.clusterSecurityGroupId,
            referencedSecurityGroupId: groupId,
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            description: "Kubernetes API from inside the VPC (CI runners)",
          },
          child,
        ),
    );

    this.volumesKey = volumeKey({
      clusterName: args.name,
      autoscalingRoleArn: args.autoscalingRoleArn,
      provider: args.provider,
      parent: this,
      protect: args.protect,
    });
    const addonArgs = {
      clusterName: this.eks.name,
      versions: cluster.addons,
      volumesKeyArn: this.volumesKey.arn,
      provider: args.provider,
      parent: this,
    };
    const nodes = createNodeGroups({
      clusterName: this.eks.name,
      groups: cluster.nodeGroups,
      kubernetesVersion: cluster.kubernetesVersion,
      zones: args.privateSubnets,
      volumesKeyArn: this.volumesKey.arn,
      tags: args.tags ?? {},
      namePrefix: args.name,
      provider: args.provider,
      parent: this,
      dependsOn: addonsBeforeNodes(addonArgs),
    });
    this.nodeGroups = nodes.groups;
    this.nodeRole = nodes.role;
    const lateAddons = addonsAfterNodes(addonArgs, this.nodeGroups);

    this.kubeconfig = kubeconfig(this.eks, args.region);
    this.k8sProvider = new k8s.Provider(
      "k8s",
      {
        kubeconfig: this.kubeconfig,
        enableServerSideApply: true,
        // A changed ConfigMap or Secret is updated in place. Without these the provider replaces it on
        // any change of its data (pulumi-kubernetes provider/pkg/provider/diff.go, forceNewProperties):
        // with our fixed names that is delete-then-create, and pods starting in the gap fail. The
        // workloads that read one roll by the checksum in their templates (components/checksum.ts).
        enableConfigMapMutable: true,
        enableSecretMutable: true,
      },
      // Kubernetes calls wait for nodes, for the access entries that let this deployment in (no
      // creator admin in API mode), for the rule that lets the CI runners reach a private endpoint,
      // and for CoreDNS and the CSI driver the first pods need.
      { parent: this, dependsOn: [...this.nodeGroups, ...access, ...apiClients, ...lateAddons] },
    );
    // gp3: cheaper and faster than gp2 at the same size; encrypted with the cluster's own key.
    const classes = storageClasses({
      keyArn: this.volumesKey.arn,
      tags: args.tags ?? {},
      provider: this.k8sProvider,
      parent: this,
    });
    this.scratchStorageClass = classes.scratch.metadata.name;

    installClusterAutoscaler({
      clusterName: this.eks.name,
      region: args.region,
      chartVersion: cluster.autoscaler.chartVersion,
      imageTag: cluster.autoscaler.imageTag,
      awsProvider: args.provider,
      k8sProvider: this.k8sProvider,
      parent: this,
    });

    this.clusterSecurityGroupId = this.eks.vpcConfig.clusterSecurityGroupId;
    this.oidcIssuer = this.eks.identities.apply((ids) => ids?.[0]?.oidcs?.[0]?.issuer ?? "");
    this.registerOutputs({
      clusterName: this.eks.name,
      endpoint: this.eks.endpoint,
      kubeconfig: this.kubeconfig,
      clusterSecurityGroupId: this.clusterSecurityGroupId,
      oidcIssuer: this.oidcIssuer,
      nodeRoleArn: this.nodeRole.arn,
      volumesKeyArn: this.volumesKey.arn,
      scratchStorageClass: this.scratchStorageClass,
    });
  }

  /** Access entries for the configured roles: admins get cluster admin, readers the view policy. */
  private grantAccess(
    cluster: ClusterArgs["cluster"],
    child: pulumi.CustomResourceOptions,
  ): pulumi.Resource[] {
    const grants = [
      ...cluster.adminRoleArns.map((arn) => ({ arn, policy: "AmazonEKSClusterAdminPolicy" })),
      // CI's preview and drift check read every object, Secrets included (a refresh reads them).
      ...cluster.previewRoleArns.map((arn) => ({ arn, policy: "AmazonEKSAdminViewPolicy" })),
      ...cluster.readOnlyRoleArns.map((arn) => ({ arn, policy: "AmazonEKSViewPolicy" })),
    ];
    return grants.map(({ arn, policy }) => {
      const roleName = arn.split("/").pop();
      const entry = new aws.eks.AccessEntry(
        `access-${roleName}`,
        { clusterName: this.eks.name, principalArn: arn, type: "STANDARD" },
        child,
      );
      return new aws.eks.AccessPolicyAssociation(
        `access-${roleName}-${policy}`,
        {
          clusterName: this.eks.name,
          principalArn: entry.principalArn,
          policyArn: `arn:aws:eks::aws:cluster-access-policy/${policy}`,
          accessScope: { type: "cluster" },
        },
        child,
      );
    });
  }
}

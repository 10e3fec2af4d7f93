import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podIdentityRole } from "../aws/iam";
import { BALANCING_IGNORED_LABELS } from "./nodes";

export const AUTOSCALER_CHART_REPO = "https://kubernetes.github.io/autoscaler";
/**
 * The Cluster Autoscaler image; its tag is the stack's `cluster.autoscaler.imageTag`, whose minor
 * the settings hold to the cluster's (the project's support policy). Chart 9.54.0 renders its own
 * `image.tag` default, v1.34.2, whatever its appVersion says (values.yaml; the tag reached v1.35.0
 * only in chart 9.55.1), so the program always sets it.
 */
export const AUTOSCALER_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler";
const SERVICE_ACCOUNT = "cluster-autoscaler";
const NAMESPACE = "kube-system";

export interface AutoscalerArgs {
  clusterName: pulumi.Output<string>;
  region: string;
  /** Chart `cluster-autoscaler` version, pinned in settings. */
  chartVersion: string;
  /** The image tag, pinned in settings (`cluster.autoscaler.imageTag`). */
  imageTag: string;
  awsProvider: aws.Provider;
  k8sProvider: k8s.Provider;
  parent: pulumi.Resource;
}

/** The chart's values: auto-discovery of this cluster's node groups, least privilege, bounded resources. */
export function autoscalerValues(clusterName: pulumi.Input<string>, region: string, imageTag: string) {
  return {
    cloudProvider: "aws",
    image: { repository: AUTOSCALER_REPOSITORY, tag: imageTag },
    awsRegion: region,
    autoDiscovery: { clusterName },
    rbac: { serviceAccount: { create: true, name: SERVICE_ACCOUNT } },
    extraArgs: {
      // Grows the zones' node groups evenly (components/cluster/nodes.ts).
      "balance-similar-node-groups": true,
      // A repeated flag: the chart renders `--<key up to its first _>=<value>` ("Everything after the
      // first _ will be ignored allowing the use of multi-string arguments", values.yaml, extraArgs).
      ...Object.fromEntries(
        BALANCING_IGNORED_LABELS.map((label, i) => [`balancing-ignore-label_${i + 1}`, label]),
      ),
      expander: "least-waste",
      "skip-nodes-with-local-storage": false,
    },
    priorityClassName: "system-cluster-critical",
    resources: { requests: { cpu: "100m", memory: "300Mi" }, limits: { cpu: "500m", memory: "600Mi" } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65534,
      fsGroup: 65534,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containerSecurityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
  };
}

/** The permissions from the Cluster Autoscaler's AWS guide, resizing scoped to this cluster's groups. */
export function autoscalerPolicy(clusterName: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeAutoScalingInstances",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeScalingActivities",
          "ec2:DescribeImages",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:GetInstanceTypesFromInstanceRequirements",
          "eks:DescribeNodegroup",
        ],
        Resource: "*",
      },
      {
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        Resource: "*",
        Condition: {
          StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" },
        },
      },
    ],
  });
}

/**
 * Node capacity that follows the HPAs: the Cluster Autoscaler adds nodes when pods are pending
 * and removes idle ones. Its AWS permissions come through EKS Pod Identity, and it may resize
 * only the Auto Scaling groups EKS tagged as this cluster's.
 */
export function installClusterAutoscaler(args: AutoscalerArgs): k8s.helm.v4.Chart {
  const withAws = { parent: args.parent, provider: args.awsProvider };
  const role = podIdentityRole("cluster-autoscaler", args.awsProvider, args.parent);
  const policy = new aws.iam.RolePolicy(
    "cluster-autoscaler-policy",
    {
      role: role.id,
      policy: args.clusterName.apply(autoscalerPolicy),
    },
    withAws,
  );
  const association = new aws.eks.PodIdentityAssociation(
    "cluster-autoscaler",
    {
      clusterName: args.clusterName,
      namespace: NAMESPACE,
      serviceAccount: SERVICE_ACCOUNT,
      roleArn: role.arn,
    },
    withAws,
  );
  return new k8s.helm.v4.Chart(
    "cluster-autoscaler",
    {
      chart: "cluster-autoscaler",
      version: args.chartVersion,
      repositoryOpts: { repo: AUTOSCALER_CHART_REPO },
      namespace: NAMESPACE,
      values: autoscalerValues(args.clusterName, args.region, args.imageTag),
    },
    // Its pods get credentials from the association when they start (Pod Identity injects them
    // at admission): started before it, they run without AWS access until restarted.
    { parent: args.parent, provider: args.k8sProvider, dependsOn: [association, policy] },
  );
}

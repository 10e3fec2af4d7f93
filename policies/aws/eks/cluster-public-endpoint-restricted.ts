/**
 * EKS turns the public API endpoint on, open to 0.0.0.0/0, unless told otherwise. If the public endpoint
 * stays (CI and operators reach it), it is limited to known CIDRs; config can forbid it outright.
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { configSchema, readConfig } from "../../lib/config";
import { resourcePolicy } from "../../lib/define";
import { awsFoundationalControl } from "../frameworks";
import { describeCluster } from "./cluster";

const defaults = { allowPublicEndpoint: true };

const openToTheInternet = ["0.0.0.0/0", "::/0"];

export const eksClusterPublicEndpointRestricted = resourcePolicy({
  name: "aws-eks-cluster-public-endpoint-restricted",
  description:
    "The EKS API endpoint is private, or public only to an explicit list of CIDRs (never 0.0.0.0/0).",
  severity: "critical",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_38", "CKV_AWS_39"], awsSecurityHub: ["EKS.1"] },
  framework: awsFoundationalControl("eks", "EKS.1 EKS cluster endpoints should not be publicly accessible"),
  tags: ["aws", "security", "network"],
  remediationSteps:
    "Set vpcConfig.endpointPrivateAccess: true and either endpointPublicAccess: false or publicAccessCidrs " +
    "listing only the CI runners' and operators' CIDRs.",
  configSchema: configSchema({
    allowPublicEndpoint: {
      type: "boolean",
      description: "Whether a (CIDR-restricted) public API endpoint is acceptable at all.",
      default: defaults.allowPublicEndpoint,
    },
  }),
  validateResource: validateResourceOfType(aws.eks.Cluster, (cluster, args, reportViolation) => {
    const { allowPublicEndpoint } = readConfig(args, defaults);
    const vpc = cluster.vpcConfig;
    const where = describeCluster(cluster, args);
    // AWS defaults endpointPublicAccess to true and publicAccessCidrs to ["0.0.0.0/0"].
    if (vpc?.endpointPublicAccess === false) {
      return;
    }
    if (!allowPublicEndpoint) {
      reportViolation(
        `Set vpcConfig.endpointPublicAccess: false on ${where}; this stack allows no public endpoint.`,
      );
      return;
    }
    const cidrs = vpc?.publicAccessCidrs ?? [];
    const open =
      cidrs.length === 0 ? ["0.0.0.0/0 (the default)"] : cidrs.filter((c) => openToTheInternet.includes(c));
    if (open.length > 0) {
      reportViolation(
        `Restrict vpcConfig.publicAccessCidrs of ${where} to known CIDRs (remove ${open.join(", ")}), ` +
          `or set endpointPublicAccess: false.`,
      );
    }
  }),
});

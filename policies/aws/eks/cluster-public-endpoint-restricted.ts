/**
 * EKS turns the public API endpoint on, open to 0.0.0.0/0, unless told otherwise. If the public endpoint
 * stays (CI and operators reach it), it is limited to known CIDRs; config can forbid it outright.
 * "Known CIDRs" is read by what they admit together, not by their spelling: `0.0.0.0/1` plus
 * `128.0.0.0/1` is the whole Internet too. The sum may not exceed one /16 of IPv4 (65,536 addresses,
 * a large organisation's range) or one /48 of IPv6 (a site's allocation, RFC 6177).
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { configSchema, readConfig } from "../../lib/config";
import { resourcePolicy } from "../../lib/define";
import { awsFoundationalControl } from "../frameworks";
import { describeCluster } from "./cluster";
import {
  addressesOfPrefix,
  admittedAddresses,
  equivalentPrefix,
  parseCidr,
  type CidrRange,
} from "../../lib/cidr";

const defaults = { allowPublicEndpoint: true, shortestIpv4Prefix: 16, shortestIpv6Prefix: 48 };

export const eksClusterPublicEndpointRestricted = resourcePolicy({
  name: "aws-eks-cluster-public-endpoint-restricted",
  description:
    "The EKS API endpoint is private, or public only to CIDRs that admit no more than one IPv4 /16 (or IPv6 /48) in all.",
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
    shortestIpv4Prefix: {
      type: "integer",
      minimum: 1,
      maximum: 32,
      description:
        "The IPv4 CIDRs together may admit no more addresses than one block of this prefix length.",
      default: defaults.shortestIpv4Prefix,
    },
    shortestIpv6Prefix: {
      type: "integer",
      minimum: 1,
      maximum: 128,
      description:
        "The IPv6 CIDRs together may admit no more addresses than one block of this prefix length.",
      default: defaults.shortestIpv6Prefix,
    },
  }),
  validateResource: validateResourceOfType(aws.eks.Cluster, (cluster, args, reportViolation) => {
    const config = readConfig(args, defaults);
    const vpc = cluster.vpcConfig;
    const where = describeCluster(cluster, args);
    // AWS defaults endpointPublicAccess to true and publicAccessCidrs to ["0.0.0.0/0"].
    if (vpc?.endpointPublicAccess === false) {
      return;
    }
    if (!config.allowPublicEndpoint) {
      reportViolation(
        `Set vpcConfig.endpointPublicAccess: false on ${where}; this stack allows no public endpoint.`,
      );
      return;
    }
    const cidrs = vpc?.publicAccessCidrs ?? [];
    if (cidrs.length === 0) {
      reportViolation(
        `Restrict vpcConfig.publicAccessCidrs of ${where} to known CIDRs (it admits 0.0.0.0/0, the default), ` +
          `or set endpointPublicAccess: false.`,
      );
      return;
    }
    const invalid = cidrs.filter((c) => parseCidr(c) === undefined);
    if (invalid.length > 0) {
      reportViolation(
        `Write ${invalid.join(", ")} in vpcConfig.publicAccessCidrs of ${where} as CIDR blocks.`,
      );
    }
    const ranges = cidrs.map(parseCidr).filter((r): r is CidrRange => r !== undefined);
    const families = [
      { family: 4 as const, shortest: config.shortestIpv4Prefix },
      { family: 6 as const, shortest: config.shortestIpv6Prefix },
    ];
    for (const { family, shortest } of families) {
      const admitted = admittedAddresses(ranges, family);
      if (admitted > addressesOfPrefix(family, shortest)) {
        reportViolation(
          `Restrict vpcConfig.publicAccessCidrs of ${where} to known CIDRs: its IPv${family} blocks admit ` +
            `${admitted} addresses, as many as a /${equivalentPrefix(family, admitted)}, more than one ` +
            `/${shortest}; or set endpointPublicAccess: false.`,
        );
      }
    }
  }),
});

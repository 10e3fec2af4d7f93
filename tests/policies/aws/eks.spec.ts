import * as aws from "@pulumi/aws";
import { eksClusterControlPlaneLogging } from "../../../policies/aws/eks/cluster-control-plane-logging";
import { eksClusterPublicEndpointRestricted } from "../../../policies/aws/eks/cluster-public-endpoint-restricted";
import { eksClusterSecretsEncryption } from "../../../policies/aws/eks/cluster-secrets-encryption";
import { expectLevelFromConfig, resource, runRule, UNKNOWN } from "../fixtures";

const allLogTypes = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

const cluster = (overrides: Record<string, unknown> = {}, vpcConfig: Record<string, unknown> = {}) =>
  resource(aws.eks.Cluster, "eks", {
    name: "healthflow-production",
    roleArn: UNKNOWN,
    version: "1.33",
    enabledClusterLogTypes: allLogTypes,
    // The key is created in the same stack, so its ARN is unknown during preview.
    encryptionConfig: { resources: ["secrets"], provider: { keyArn: UNKNOWN } },
    vpcConfig: {
      subnetIds: UNKNOWN,
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ["203.0.113.0/24"],
      ...vpcConfig,
    },
    ...overrides,
  });

describe("aws-eks-cluster-control-plane-logging", () => {
  it("accepts all five log types", async () => {
    expect((await runRule(eksClusterControlPlaneLogging, [cluster()])).violations).toEqual([]);
  });

  it("names the log types that are off", async () => {
    const { messages } = await runRule(eksClusterControlPlaneLogging, [
      cluster({ enabledClusterLogTypes: ["api"] }),
    ]);
    expect(messages).toEqual([
      "Add audit, authenticator, controllerManager, scheduler to enabledClusterLogTypes of EKS cluster 'healthflow-production'.",
    ]);
  });

  it("uses the configured list of required log types", async () => {
    const resources = [cluster({ enabledClusterLogTypes: ["api", "audit"] })];
    const relaxed = await runRule(eksClusterControlPlaneLogging, resources, { requiredLogTypes: ["audit"] });
    expect(relaxed.violations).toEqual([]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(eksClusterControlPlaneLogging, [
      cluster({ enabledClusterLogTypes: undefined }),
    ]);
  });
});

describe("aws-eks-cluster-secrets-encryption", () => {
  it("accepts envelope encryption with a key whose ARN is not known yet", async () => {
    const run = await runRule(eksClusterSecretsEncryption, [cluster()]);
    expect(run.violations).toEqual([]);
    expect(run.notEvaluated).toEqual([]);
  });

  it("refuses a cluster without secrets encryption", async () => {
    const { messages } = await runRule(eksClusterSecretsEncryption, [
      cluster({ encryptionConfig: undefined }),
    ]);
    expect(messages).toEqual([
      "Set encryptionConfig on EKS cluster 'healthflow-production' with resources [\"secrets\"] and a KMS keyArn.",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(eksClusterSecretsEncryption, [cluster({ encryptionConfig: undefined })]);
  });
});

describe("aws-eks-cluster-public-endpoint-restricted", () => {
  it("accepts a private endpoint and a public one limited to known CIDRs", async () => {
    const resources = [
      cluster(),
      resource(aws.eks.Cluster, "private", { name: "private", vpcConfig: { endpointPublicAccess: false } }),
    ];
    expect((await runRule(eksClusterPublicEndpointRestricted, resources)).violations).toEqual([]);
  });

  it("refuses the AWS default: public and open to 0.0.0.0/0", async () => {
    const { messages } = await runRule(eksClusterPublicEndpointRestricted, [
      cluster({}, { endpointPublicAccess: undefined, publicAccessCidrs: undefined }),
    ]);
    expect(messages).toEqual([
      "Restrict vpcConfig.publicAccessCidrs of EKS cluster 'healthflow-production' to known CIDRs (it admits 0.0.0.0/0, the default), or set endpointPublicAccess: false.",
    ]);
  });

  // The rule: the blocks together admit no more than one IPv4 /16 (or IPv6 /48), however written.
  it.each([
    ["0.0.0.0/0 among known CIDRs", ["203.0.113.0/24", "0.0.0.0/0"], 4],
    ["all of IPv4 split in two", ["0.0.0.0/1", "128.0.0.0/1"], 4],
    ["a short prefix", ["10.0.0.0/8"], 4],
    ["two /17s and one more address", ["198.18.0.0/17", "198.18.128.0/17", "203.0.113.7/32"], 4],
    ["half of IPv6", ["::/1"], 6],
    ["all of IPv6", ["::/0"], 6],
  ])("refuses %s", async (_, publicAccessCidrs, family) => {
    const { messages } = await runRule(eksClusterPublicEndpointRestricted, [
      cluster({}, { publicAccessCidrs }),
    ]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`its IPv${family} blocks admit`);
  });

  it("says how much a list admits", async () => {
    const { messages } = await runRule(eksClusterPublicEndpointRestricted, [
      cluster({}, { publicAccessCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }),
    ]);
    expect(messages).toEqual([
      "Restrict vpcConfig.publicAccessCidrs of EKS cluster 'healthflow-production' to known CIDRs: its IPv4 blocks admit 4294967296 addresses, as many as a /0, more than one /16; or set endpointPublicAccess: false.",
    ]);
  });

  it.each([
    ["exactly one /16", ["198.18.0.0/16"]],
    ["two /17s making one /16", ["198.18.0.0/17", "198.18.128.0/17"]],
    ["the same /24 twice", ["203.0.113.0/24", "203.0.113.0/24"]],
    ["a site's IPv6 /48", ["2001:db8:1234::/48"]],
  ])("accepts %s", async (_, publicAccessCidrs) => {
    const resources = [cluster({}, { publicAccessCidrs })];
    expect((await runRule(eksClusterPublicEndpointRestricted, resources)).violations).toEqual([]);
  });

  it("refuses a list entry that is not a CIDR block", async () => {
    const { messages } = await runRule(eksClusterPublicEndpointRestricted, [
      cluster({}, { publicAccessCidrs: ["203.0.113.0/24", "203.0.113.300/32"] }),
    ]);
    expect(messages).toEqual([
      "Write 203.0.113.300/32 in vpcConfig.publicAccessCidrs of EKS cluster 'healthflow-production' as CIDR blocks.",
    ]);
  });

  it("uses the configured shortest prefix", async () => {
    const resources = [cluster({}, { publicAccessCidrs: ["203.0.113.0/24"] })];
    expect(
      (await runRule(eksClusterPublicEndpointRestricted, resources, { shortestIpv4Prefix: 25 })).violations,
    ).toHaveLength(1);
  });

  it("refuses any public endpoint where the config forbids one", async () => {
    const { messages } = await runRule(eksClusterPublicEndpointRestricted, [cluster()], {
      allowPublicEndpoint: false,
    });
    expect(messages).toEqual([
      "Set vpcConfig.endpointPublicAccess: false on EKS cluster 'healthflow-production'; this stack allows no public endpoint.",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(eksClusterPublicEndpointRestricted, [
      cluster({}, { publicAccessCidrs: ["0.0.0.0/0"] }),
    ]);
  });
});

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
      "Restrict vpcConfig.publicAccessCidrs of EKS cluster 'healthflow-production' to known CIDRs (remove 0.0.0.0/0 (the default)), or set endpointPublicAccess: false.",
    ]);
  });

  it("refuses 0.0.0.0/0 among the CIDRs", async () => {
    const resources = [cluster({}, { publicAccessCidrs: ["203.0.113.0/24", "0.0.0.0/0"] })];
    expect((await runRule(eksClusterPublicEndpointRestricted, resources)).violations).toHaveLength(1);
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

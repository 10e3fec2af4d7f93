import { capacity } from "../../../settings/catalog/instances";
import { CONTROL_PLANE_LOG_TYPES } from "../../../components/cluster";
import { find, ofType, type ProgramRun } from "../../harness";
import { knownRun, plannedRun } from "../../harness/plans";
import { readStackConfig } from "../../../tools/engine/stackConfig";
import { UNKNOWN } from "../../../tools/engine/engine";
import { unknownKeyPaths, vendoredValues } from "../monitoring/helmValues";

const clusterConfig = (stack: string) => JSON.parse(readStackConfig(stack).config["healthflow:cluster"]);

describe.each([
  ["staging", { nat: 1, protect: false }],
  ["production", { nat: 3, protect: true }],
])("the AWS platform of %s", (stack, expected) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const one = (type: string, name: string) => find(run.resources, type, name);
  const inputs = (type: string, name: string) => one(type, name).inputs as Record<string, any>;

  test("spans three zones with the stack's NAT mode", () => {
    const subnets = ofType(run.resources, "aws:ec2/subnet:Subnet").map((s) => s.inputs.availabilityZone);
    expect(new Set(subnets)).toEqual(new Set(["sa-east-1a", "sa-east-1b", "sa-east-1c"]));
    expect(subnets).toHaveLength(9);
    expect(ofType(run.resources, "aws:ec2/natGateway:NatGateway")).toHaveLength(expected.nat);
    const privateTables = ofType(run.resources, "aws:ec2/routeTable:RouteTable").filter((t) =>
      t.name.startsWith("private-"),
    );
    expect(privateTables.map((t) => (t.inputs.routes as any[])[0].cidrBlock)).toEqual([
      "0.0.0.0/0",
      "0.0.0.0/0",
      "0.0.0.0/0",
    ]);
  });

  test("tags subnets for load balancers and keeps database subnets off the internet", () => {
    const tagsOf = (prefix: string) =>
      ofType(run.resources, "aws:ec2/subnet:Subnet")
        .filter((s) => s.name.startsWith(prefix))
        .map((s) => s.inputs.tags as any);
    expect(tagsOf("public-").every((t) => t["kubernetes.io/role/elb"] === "1")).toBe(true);
    expect(tagsOf("private-").every((t) => t["kubernetes.io/role/internal-elb"] === "1")).toBe(true);
    expect(inputs("aws:ec2/routeTable:RouteTable", "database-rt").routes).toBeUndefined();
    expect(
      ofType(run.resources, "aws:ec2/subnet:Subnet").every((s) => s.inputs.mapPublicIpOnLaunch === false),
    ).toBe(true);
  });

  test("closes the default security group and logs every flow to a KMS-encrypted group", () => {
    const defaultSg = inputs("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg-closed");
    expect([defaultSg.ingress, defaultSg.egress]).toEqual([undefined, undefined]);
    expect(inputs("aws:ec2/flowLog:FlowLog", "flow-log").trafficType).toBe("ALL");
    // The role's permission to write exists before the flow log, not only the role.
    expect(one("aws:ec2/flowLog:FlowLog", "flow-log").dependencies).toContain(
      one("aws:iam/rolePolicy:RolePolicy", "flow-logs-write").urn,
    );
    const logGroup = one("aws:cloudwatch/logGroup:LogGroup", "flow-logs");
    expect(logGroup.inputs.retentionInDays).toBe(
      JSON.parse(readStackConfig(stack).config["healthflow:network"]).flowLogRetentionDays,
    );
    expect(logGroup.propertyDependencies.kmsKeyId).toEqual([
      find(run.resources, "aws:kms/key:Key", "flow-logs-key").urn,
    ]);
    expect(inputs("aws:ec2/vpcEndpoint:VpcEndpoint", "s3-endpoint")).toMatchObject({
      serviceName: "com.amazonaws.sa-east-1.s3",
      vpcEndpointType: "Gateway",
    });
  });

  test("every security group and rule description uses only the characters EC2 accepts", () => {
    // EC2 API reference: a group's description and a rule's Description (IpRange, UserIdGroupPair)
    // allow "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*", up to 255 characters; anything else
    // (an apostrophe, say) is InvalidParameterValue at create. `&` is left out here as well: the
    // group-pair form has refused it.
    const allowed = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=;{}!$*]{0,255}$/;
    const described = run.resources.filter(
      (r) =>
        [
          "aws:ec2/securityGroup:SecurityGroup",
          "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
          "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        ].includes(r.type) && typeof r.inputs.description === "string",
    );
    expect(described.length).toBeGreaterThan(5);
    for (const r of described)
      expect([r.name, r.inputs.description]).toEqual([r.name, expect.stringMatching(allowed)]);
    expect(allowed.test("HTTPS to the cluster's API")).toBe(false);
  });

  test("every KMS key rotates", () => {
    const keys = ofType(run.resources, "aws:kms/key:Key");
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) expect([key.name, key.inputs.enableKeyRotation]).toEqual([key.name, true]);
  });

  test("the cluster: API auth without creator admin, all logs, encrypted Secrets, restricted endpoint", () => {
    const eks = inputs("aws:eks/cluster:Cluster", "eks");
    expect(eks.version).toBe(clusterConfig(stack).kubernetesVersion);
    expect(eks.accessConfig).toEqual({
      authenticationMode: "API",
      bootstrapClusterCreatorAdminPermissions: false,
    });
    expect([...eks.enabledClusterLogTypes].sort()).toEqual([...CONTROL_PLANE_LOG_TYPES].sort());
    expect(CONTROL_PLANE_LOG_TYPES).toHaveLength(5);
    expect(eks.encryptionConfig.resources).toEqual(["secrets"]);
    // Staging: a public endpoint for its listed range; production: private only (runners.test.ts).
    expect(eks.vpcConfig).toMatchObject(
      stack === "staging"
        ? { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] }
        : { endpointPrivateAccess: true, endpointPublicAccess: false },
    );
    // Production is never upgraded by AWS itself (EXTENDED); staging may be (STANDARD), the canary.
    expect(eks.upgradePolicy).toEqual({ supportType: stack === "production" ? "EXTENDED" : "STANDARD" });
  });

  test("access entries grant exactly the configured roles", () => {
    const grants = ofType(run.resources, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").map((a) =>
      String(a.inputs.policyArn).split("/").pop(),
    );
    expect(grants.sort()).toEqual([
      "AmazonEKSAdminViewPolicy",
      "AmazonEKSClusterAdminPolicy",
      "AmazonEKSViewPolicy",
    ]);
    const principals = ofType(run.resources, "aws:eks/accessEntry:AccessEntry").map(
      (e) => e.inputs.principalArn,
    );
    const config = clusterConfig(stack);
    expect(principals.sort()).toEqual(
      [...config.adminRoleArns, ...config.previewRoleArns, ...config.readOnlyRoleArns].sort(),
    );
  });

  test("nodes: IMDSv2 with hop limit 1, encrypted gp3 root volume, Graviton, sizes from settings", () => {
    const template = inputs("aws:ec2/launchTemplate:LaunchTemplate", "general-sa-east-1a-template");
    expect(template.metadataOptions).toEqual({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    });
    expect(template.blockDeviceMappings[0].ebs).toMatchObject({ volumeType: "gp3", encrypted: "true" });
    const group = one("aws:eks/nodeGroup:NodeGroup", "general-sa-east-1a");
    const configured = clusterConfig(stack).nodeGroups[0];
    expect(group.inputs.scalingConfig).toEqual({
      minSize: configured.minSize,
      desiredSize: configured.desiredSize,
      maxSize: configured.maxSize,
    });
    expect(group.inputs.amiType).toBe("AL2023_ARM_64_STANDARD");
    expect(group.ignoreChanges).toEqual(["scalingConfig.desiredSize"]);
  });

  test("nodes follow the control plane: every group runs the cluster's minor and a pinned AMI release of it", () => {
    // Without version and releaseVersion the provider leaves a group on the minor and AMI it was
    // created with ("will only perform drift detection if a configuration value is provided").
    const minor = clusterConfig(stack).kubernetesVersion;
    const groups = ofType(run.resources, "aws:eks/nodeGroup:NodeGroup");
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) {
      expect(group.inputs.version).toBe(minor);
      expect(group.inputs.releaseVersion).toMatch(new RegExp(`^${minor.replace(".", "\\.")}\\.\\d+-\\d{8}$`));
      // A release bump must drain within the PodDisruptionBudgets, never force past them.
      expect(group.inputs.forceUpdateVersion).toBeUndefined();
      expect(group.inputs.updateConfig).toEqual({ maxUnavailable: 1 });
    }
  });

  test("nodes: one group per zone, each in its zone's private subnet only, alike in all else", () => {
    // The Cluster Autoscaler's AWS README: with zonal EBS volumes, one node group per zone.
    const groups = ofType(run.resources, "aws:eks/nodeGroup:NodeGroup");
    expect(groups.map((g) => g.name).sort()).toEqual([
      "general-sa-east-1a",
      "general-sa-east-1b",
      "general-sa-east-1c",
    ]);
    for (const zone of ["sa-east-1a", "sa-east-1b", "sa-east-1c"]) {
      const group = one("aws:eks/nodeGroup:NodeGroup", `general-${zone}`);
      const subnet = one("aws:ec2/subnet:Subnet", `private-${zone}`);
      expect(subnet.inputs.availabilityZone).toBe(zone);
      expect(group.propertyDependencies.subnetIds).toEqual([subnet.urn]);
      expect(group.inputs.subnetIds).toHaveLength(1);
      // EKS caps a node group's name at 63 characters and adds 26 to the prefix.
      expect(group.inputs.nodeGroupNamePrefix).toBe(`general-${zone.slice(-1)}-`);
      // Its own launch template, whose Name tag names the zone.
      expect(group.propertyDependencies.launchTemplate).toEqual([
        one("aws:ec2/launchTemplate:LaunchTemplate", `general-${zone}-template`).urn,
      ]);
    }
    // What the autoscaler compares to balance them: the same labels, types and sizes everywhere.
    const alike = groups.map((g) => ({
      labels: g.inputs.labels,
      instanceTypes: g.inputs.instanceTypes,
      scalingConfig: g.inputs.scalingConfig,
      amiType: g.inputs.amiType,
    }));
    expect(new Set(alike.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(alike[0].labels).toEqual({ "healthflow.io/node-group": "general" });
  });

  test("the autoscaler balances the zones' groups, ignoring the launch-template labels EKS adds", () => {
    // EKS labels each node with the launch template it came from (eks.amazonaws.com/sourceLaunchTemplateId
    // and ...Version); the zones' groups have different templates, and the autoscaler's AWS comparator
    // does not ignore those labels (processors/nodegroupset/aws_nodegroups.go; kubernetes/autoscaler#3515).
    const values = inputs("kubernetes:helm.sh/v4:Chart", "cluster-autoscaler").values;
    // The chart renders each extraArgs key up to its first "_" (values.yaml: "Everything after the
    // first _ will be ignored allowing the use of multi-string arguments").
    const flags = Object.entries(values.extraArgs as Record<string, unknown>).map(
      ([key, value]) => `--${key.split("_")[0]}=${value}`,
    );
    expect(flags).toEqual(
      expect.arrayContaining([
        "--balance-similar-node-groups=true",
        "--balancing-ignore-label=eks.amazonaws.com/sourceLaunchTemplateId",
        "--balancing-ignore-label=eks.amazonaws.com/sourceLaunchTemplateVersion",
      ]),
    );
  });

  test("add-ons: the six the platform needs, at the pinned versions, network policy on", () => {
    const addons = Object.fromEntries(
      ofType(run.resources, "aws:eks/addon:Addon").map((a) => [a.inputs.addonName, a.inputs.addonVersion]),
    );
    const v = clusterConfig(stack).addons;
    expect(addons).toEqual({
      "vpc-cni": v.vpcCni,
      "kube-proxy": v.kubeProxy,
      "eks-pod-identity-agent": v.podIdentityAgent,
      coredns: v.coredns,
      "aws-ebs-csi-driver": v.ebsCsiDriver,
      "metrics-server": v.metricsServer,
    });
    expect(JSON.parse(inputs("aws:eks/addon:Addon", "vpc-cni").configurationValues)).toEqual({
      enableNetworkPolicy: "true",
    });
    const ebs = one("aws:eks/addon:Addon", "aws-ebs-csi-driver");
    expect(ebs.dependencies).toContain(
      find(run.resources, "aws:eks/nodeGroup:NodeGroup", "general-sa-east-1a").urn,
    );
  });

  test("gp3 is the default StorageClass and the autoscaler chart is pinned with Pod Identity", () => {
    const gp3 = inputs("kubernetes:storage.k8s.io/v1:StorageClass", "gp3");
    expect(gp3.metadata.annotations["storageclass.kubernetes.io/is-default-class"]).toBe("true");
    expect(gp3.parameters).toMatchObject({ type: "gp3", encrypted: "true" });
    expect(gp3.reclaimPolicy).toBe("Retain");
    const chart = inputs("kubernetes:helm.sh/v4:Chart", "cluster-autoscaler");
    expect(chart).toMatchObject({
      chart: "cluster-autoscaler",
      version: clusterConfig(stack).autoscaler.chartVersion,
    });
    expect(chart.values).toMatchObject({
      awsRegion: "sa-east-1",
      rbac: { serviceAccount: { name: "cluster-autoscaler" } },
    });
    expect(
      inputs("aws:eks/podIdentityAssociation:PodIdentityAssociation", "cluster-autoscaler"),
    ).toMatchObject({
      namespace: "kube-system",
      serviceAccount: "cluster-autoscaler",
    });
  });

  test("the Cluster Autoscaler runs the release of the cluster's Kubernetes minor; every value is a chart key", () => {
    const chart = inputs("kubernetes:helm.sh/v4:Chart", "cluster-autoscaler");
    // The autoscaler's minor must match the cluster's; the chart's own image.tag default does
    // not follow its appVersion (9.54.0 renders v1.34.2), so the program pins it.
    const minor = clusterConfig(stack).kubernetesVersion;
    expect(chart.values.image).toEqual({
      repository: "registry.k8s.io/autoscaling/cluster-autoscaler",
      tag: expect.stringMatching(new RegExp(`^v${minor.replace(".", "\\.")}\\.\\d+$`)),
    });
    const defaults = vendoredValues("cluster-autoscaler", chart.version);
    expect((defaults as any).image.tag).not.toBe(chart.values.image.tag);
    // extraArgs is a map of command-line flags: the template renders each key as --<key>=<value>.
    const flags = ["extraArgs"];
    expect(unknownKeyPaths(chart.values, defaults, flags)).toEqual([]);
    expect(unknownKeyPaths({ ...chart.values, extraArg: { v: 2 } }, defaults, flags)).toEqual(["extraArg"]);
  });

  test("the Cluster Autoscaler starts only once its Pod Identity association and policy exist", () => {
    // Pod Identity injects credentials when a pod starts: a pod started before the association
    // runs without AWS access until it is restarted.
    const chart = one("kubernetes:helm.sh/v4:Chart", "cluster-autoscaler");
    expect(chart.dependencies).toEqual(
      expect.arrayContaining([
        one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "cluster-autoscaler").urn,
        one("aws:iam/rolePolicy:RolePolicy", "cluster-autoscaler-policy").urn,
      ]),
    );
  });

  test(`protect and deletion protection: ${expected.protect}`, () => {
    const eks = one("aws:eks/cluster:Cluster", "eks");
    expect([eks.protect, eks.inputs.deletionProtection]).toEqual([expected.protect, expected.protect]);
    for (const key of ofType(run.resources, "aws:kms/key:Key")) expect(key.protect).toBe(expected.protect);
    // Log groups are records of access (audit, flow, database logs): protected like their keys.
    const groups = ofType(run.resources, "aws:cloudwatch/logGroup:LogGroup");
    expect(groups.length).toBeGreaterThanOrEqual(3);
    for (const group of groups) expect([group.name, group.protect]).toEqual([group.name, expected.protect]);
  });

  test("every Kubernetes resource uses the cluster's provider; every AWS resource the stack's", () => {
    const k8sProvider = find(run.resources, "pulumi:providers:kubernetes", "k8s").urn;
    const awsProvider = find(run.resources, "pulumi:providers:aws", "aws").urn;
    const providerOf = (r: { provider?: string }) => r.provider?.split("::").slice(0, -1).join("::");
    for (const r of run.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
      expect([r.name, providerOf(r)]).toEqual([r.name, k8sProvider]);
    }
    for (const r of run.resources.filter((r) => r.type.startsWith("aws:"))) {
      expect([r.name, providerOf(r)]).toEqual([r.name, awsProvider]);
    }
    // One region for every AWS resource: São Paulo (LGPD Art. 33; settings refuse any other).
    expect(find(run.resources, "pulumi:providers:aws", "aws").inputs.region).toBe("sa-east-1");
    // Providers receive structured config as JSON text, as the engine passes it.
    expect(
      JSON.parse(String(find(run.resources, "pulumi:providers:aws", "aws").inputs.defaultTags)),
    ).toMatchObject({
      tags: { environment: stack, "managed-by": "pulumi", "data-classification": "sensitive-health" },
    });
  });

  test("exports the cluster's name and a kubeconfig that stays secret", async () => {
    const cluster = knownRun(stack).outputs.cluster as Record<string, any>;
    expect(cluster.name).toBe(`healthflow-${stack}`);
    expect(cluster.kubeconfig).toMatchObject({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    });
    expect(JSON.parse(cluster.kubeconfig.value).users[0].user.exec.args).toContain("get-token");
    expect((run.outputs.cluster as Record<string, unknown>).endpoint).toBe(UNKNOWN);
  });
});

describe("capacity (the guide's table)", () => {
  test.each([
    ["staging", 8, 16],
    ["production", 16, 32],
  ])(
    "%s node groups give >= %i vCPU and >= %i GiB at their minimum, in all zones",
    (stack, vcpu, memoryGiB) => {
      const zones = JSON.parse(readStackConfig(stack).config["healthflow:network"]).availabilityZones;
      const total = capacity(clusterConfig(stack).nodeGroups, "minSize", zones);
      expect(total.vcpu).toBeGreaterThanOrEqual(vcpu);
      expect(total.memoryGiB).toBeGreaterThanOrEqual(memoryGiB);
    },
  );

  test("the check bites: production's group at 2 x m7g.large in each of 2 zones falls short", () => {
    const shrunk = [
      { ...clusterConfig("production").nodeGroups[0], instanceTypes: ["m7g.large"], minSize: 2 },
    ];
    expect(capacity(shrunk, "minSize", 2).vcpu).toBe(8);
    expect(capacity(shrunk, "minSize", 3).vcpu).toBe(12);
  });

  test("with several instance types, the smallest counts; the sizes count once per zone", () => {
    expect(
      capacity(
        [{ instanceTypes: ["m7g.xlarge", "m7g.large"], minSize: 2, desiredSize: 2, maxSize: 2 }],
        "minSize",
        3,
      ),
    ).toEqual({
      vcpu: 12,
      memoryGiB: 48,
    });
  });
});

describe("dev", () => {
  test("registers no AWS or Kubernetes resource", () => {
    const run = plannedRun("dev");
    expect(
      run.resources.filter((r) => /^(aws|kubernetes):|pulumi:providers:(aws|kubernetes)/.test(r.type)),
    ).toEqual([]);
  });
});

describe.each(["staging", "production"])(
  "ordering and logs of %s (what only a real deployment would show)",
  (stack) => {
    const run = () => plannedRun(stack);
    test("Kubernetes waits for nodes, access entries and CoreDNS; EKS for its role and log group", () => {
      const provider = find(run().resources, "pulumi:providers:kubernetes", "k8s");
      const urnsOf = (type: string) => ofType(run().resources, type).map((r) => r.urn);
      for (const urn of [
        ...urnsOf("aws:eks/nodeGroup:NodeGroup"),
        ...urnsOf("aws:eks/accessPolicyAssociation:AccessPolicyAssociation"),
        find(run().resources, "aws:eks/addon:Addon", "coredns").urn,
      ]) {
        expect(provider.dependencies).toContain(urn);
      }
      const eks = find(run().resources, "aws:eks/cluster:Cluster", "eks");
      expect(eks.dependencies).toEqual(
        expect.arrayContaining([
          find(run().resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "cluster-policy").urn,
          find(run().resources, "aws:cloudwatch/logGroup:LogGroup", "control-plane-logs").urn,
        ]),
      );
    });

    test("the control plane logs to its own group: retention from settings, a customer key", () => {
      const group = find(run().resources, "aws:cloudwatch/logGroup:LogGroup", "control-plane-logs");
      expect(group.inputs).toMatchObject({
        name: `/aws/eks/healthflow-${stack}/cluster`,
        retentionInDays: clusterConfig(stack).logRetentionDays,
      });
      expect(group.propertyDependencies.kmsKeyId).toEqual([
        find(run().resources, "aws:kms/key:Key", "control-plane-logs-key").urn,
      ]);
    });
  },
);

import * as aws from "@pulumi/aws";
import * as net from "net";
import { ConfigError, parseSettings } from "../../settings";
import { compareAddonVersions } from "../../settings/catalog/addons";
import { invokeReason, preflight, roleKey } from "../../settings/preflight";
import { answerAddonVersionsWith } from "../../tools/engine/eksApi";
import {
  addonVersionsOffered,
  AWS_ANSWERS,
  ebsVolumeAnswers,
  existingDetectorAnswers,
  InvokeAnswer,
  MOCK_DEPLOYER,
  providerError,
  runningCacheAnswers,
} from "../../tools/engine/awsAnswers";
import { ConfigOverride, readStackConfig } from "../../tools/engine/stackConfig";
import { rawConfig, realAccount, realValues, role } from "./realAccount";
import { mockInvokes, preflightMessage } from "../harness/invokes";

// The preflight against the account, through the SDK's real invoke path: the harness's answers
// are sa-east-1's (tools/engine/awsAnswers.ts), and a test that needs another account changes one.

const setAnswers = mockInvokes("staging");

const section = (stack: string, key: string) =>
  JSON.parse(readStackConfig(stack).config[`healthflow:${key}`]);

/** Runs the preflight of `stack` with config `overrides` and answers changed by `invokes`. */
async function check(
  stack: string,
  options: {
    overrides?: Record<string, ConfigOverride>;
    invokes?: Record<string, InvokeAnswer>;
    updating?: boolean;
  } = {},
) {
  setAnswers({ ...AWS_ANSWERS, ...options.invokes });
  const updating = options.updating ?? false;
  const settings = parseSettings(rawConfig(stack, options.overrides ?? {}, updating));
  const provider = new aws.Provider(`aws-${Math.random().toString(36).slice(2)}`, { region: "sa-east-1" });
  return preflight(settings, provider, updating, `healthflow-${stack}`);
}

/** The one message a failing preflight gives. */
const problems = (...args: Parameters<typeof check>): Promise<string> =>
  preflightMessage(
    check(...args),
    /^Stack "\w+" has \d+ problems? found by the preflight in AWS account \d{12} \(sa-east-1\)/,
  );

describe("the stack files against the harness's sa-east-1", () => {
  test.each(["staging", "production"])(
    "%s passes; the deployer and the service-linked role are named as AWS names them",
    async (stack) => {
      const facts = await check(stack);
      // The account is whatever the credentials belong to (the harness's answer, AWS's documentation
      // account); what the preflight works out from it is what this checks: AWS's fixed path and name
      // of EC2 Auto Scaling's service-linked role (IAM User Guide, "Service-linked roles for Amazon EC2
      // Auto Scaling"), and the role behind the caller.
      expect(facts).toEqual({
        accountId: "111122223333",
        deployer: "arn:aws:iam::111122223333:role/healthflow-platform-admin",
        autoscalingRoleArn:
          "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        // Nothing deployed yet: Prometheus has no volume, no cache runs, nothing to warn of.
        prometheusVolumes: [],
        warnings: [],
      });
    },
  );
});

describe("who deploys (the cluster grants its creator nothing)", () => {
  const staging = () => realValues("staging");
  const session = (name: string) => `arn:aws:sts::210987654321:assumed-role/${name}/run-42`;

  test("an admin role's session may preview and update; the session maps back to its role", async () => {
    for (const updating of [false, true]) {
      const facts = await check("staging", {
        overrides: staging(),
        invokes: realAccount(session("healthflow-platform-admin")),
        updating,
      });
      expect(facts.deployer).toBe(role("healthflow-platform-admin"));
    }
  });

  test("an issuer the session context cannot name falls back to the caller's own ARN", async () => {
    // getSessionContext answers an empty issuerArn for what it cannot map; the session's ARN still
    // names its role.
    const facts = await check("staging", {
      overrides: staging(),
      invokes: {
        ...realAccount(session("healthflow-platform-admin")),
        "aws:iam/getSessionContext:getSessionContext": (inputs) => ({
          arn: String(inputs.arn),
          issuerArn: "",
          issuerId: "",
          issuerName: "",
          sessionName: "",
          id: String(inputs.arn),
        }),
      },
      updating: true,
    });
    expect(facts.deployer).toBe("arn:aws:sts::210987654321:assumed-role/healthflow-platform-admin/run-42");
  });

  test("a role listed with a path matches its session (sessions drop the path)", async () => {
    const overrides = staging();
    const cluster = overrides["healthflow:cluster"] as Record<string, unknown>;
    overrides["healthflow:cluster"] = { ...cluster, adminRoleArns: [role("platform/healthflow-admin")] };
    await expect(
      check("staging", { overrides, invokes: realAccount(session("healthflow-admin")), updating: true }),
    ).resolves.toMatchObject({ accountId: "210987654321" });
  });

  test("a preview role may preview; its update is refused before anything is created", async () => {
    const invokes = realAccount(session("healthflow-ci-preview"));
    await expect(check("staging", { overrides: staging(), invokes })).resolves.toBeDefined();
    const message = await problems("staging", { overrides: staging(), invokes, updating: true });
    expect(message).toContain(
      `healthflow:cluster.adminRoleArns = ["${role("healthflow-platform-admin")}"]: does not include ${role("healthflow-ci-preview")}, which runs this update: it is one of previewRoleArns, read-only in the cluster; run \`pulumi up\` as one of adminRoleArns`,
    );
  });

  test.each([false, true])(
    "an unlisted role is refused (updating: %s), saying which role to add",
    async (updating) => {
      const message = await problems("staging", {
        overrides: staging(),
        invokes: realAccount(session("someone-else")),
        updating,
      });
      expect(message).toMatch(
        new RegExp(
          `does not include arn:aws:iam::210987654321:role/someone-else, which runs this ${updating ? "update" : "preview"}: add it, or run as one of these roles; the cluster grants its creator no access`,
        ),
      );
    },
  );

  test("an IAM user is refused: access entries here name roles", async () => {
    const message = await problems("staging", {
      overrides: staging(),
      invokes: realAccount("arn:aws:iam::210987654321:user/maria"),
      updating: true,
    });
    expect(message).toContain(
      "cannot include arn:aws:iam::210987654321:user/maria, which runs this update: it is not an IAM role",
    );
  });

  test("no credentials at all is one clear line too", async () => {
    const error = await check("staging", {
      invokes: {
        "aws:index/getCallerIdentity:getCallerIdentity": () => {
          throw providerError(
            "aws:index/getCallerIdentity:getCallerIdentity",
            "retrieving caller identity: no valid credential sources found",
          );
        },
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^Stack "staging" has 1 problem found by the preflight in AWS \(sa-east-1\)/,
    );
    expect((error as Error).message).toContain(
      "AWS did not say who is deploying (retrieving caller identity: no valid credential sources found)",
    );
    // The line names the setting a deployer is checked against.
    expect((error as ConfigError).problems.map((p) => p.path)).toEqual([["cluster", "adminRoleArns"]]);
    expect((error as Error).message).toContain("healthflow:cluster.adminRoleArns = [");
  });

  test("role keys ignore paths and map sessions to roles", () => {
    expect(roleKey("arn:aws:iam::210987654321:role/a/b/deployer")).toBe("210987654321/deployer");
    expect(roleKey("arn:aws:sts::210987654321:assumed-role/deployer/session-1")).toBe(
      "210987654321/deployer",
    );
    expect(roleKey("arn:aws:iam::210987654321:user/maria")).toBeUndefined();
    expect(roleKey(MOCK_DEPLOYER)).toBe("111122223333/healthflow-platform-admin");
    // Other AWS partitions (China, GovCloud) name roles the same way.
    expect(roleKey("arn:aws-cn:iam::210987654321:role/deployer")).toBe("210987654321/deployer");
    expect(roleKey("arn:aws-us-gov:sts::210987654321:assumed-role/deployer/s")).toBe("210987654321/deployer");
    // The whole text is the ARN: not one inside a longer text, nor one followed by another line.
    expect(roleKey("user arn:aws:iam::210987654321:role/deployer")).toBeUndefined();
    expect(roleKey("arn:aws:iam::210987654321:role/deployer\nrole/other")).toBeUndefined();
  });
});

describe("what the account offers", () => {
  const cluster = (patch: object) => ({
    "healthflow:cluster": { ...section("staging", "cluster"), ...patch },
  });
  const database = (stack: string, patch: object) => ({
    "healthflow:database": { ...section(stack, "database"), ...patch },
  });

  test("an add-on version newer than EKS offers for the Kubernetes version is refused", async () => {
    const addons = { ...section("staging", "cluster").addons, coredns: "v1.99.0-eksbuild.1" };
    const message = await problems("staging", { overrides: cluster({ addons }) });
    expect(message).toContain(
      `healthflow:cluster.addons.coredns = "v1.99.0-eksbuild.1": is not a coredns version EKS offers for Kubernetes 1.35 in sa-east-1 (newest: v1.14.2-eksbuild.4)`,
    );
    expect(message).toMatch(/has 1 problem found/);
  });

  test("an older add-on version EKS does not list is refused too: only an exact member passes", async () => {
    // vpc-cni for 1.35 in the harness's sa-east-1: v1.21.1-eksbuild.1 and v1.20.4-eksbuild.2 only.
    const staging = section("staging", "cluster").addons;
    const missing = await problems("staging", {
      overrides: cluster({ addons: { ...staging, vpcCni: "v1.20.5-eksbuild.1" } }),
    });
    expect(missing).toContain(
      `healthflow:cluster.addons.vpcCni = "v1.20.5-eksbuild.1": is not a vpc-cni version EKS offers for Kubernetes 1.35 in sa-east-1 (newest: v1.21.1-eksbuild.1)`,
    );
    await check("staging", { overrides: cluster({ addons: { ...staging, vpcCni: "v1.20.4-eksbuild.2" } }) });
  });

  test("every page of DescribeAddonVersions is read: a version on the last page passes", async () => {
    // Seven coredns versions, two a page (the stand-in's page size): the pin is on the fourth page.
    const seven = Array.from({ length: 7 }, (_, i) => `v1.14.${6 - i}-eksbuild.1`);
    answerAddonVersionsWith((k8s, name) => (name === "coredns" ? seven : addonVersionsOffered(k8s, name)));
    try {
      const addons = { ...section("staging", "cluster").addons, coredns: "v1.14.0-eksbuild.1" };
      await check("staging", { overrides: cluster({ addons }) });
    } finally {
      answerAddonVersionsWith();
    }
  });

  test("an account that refuses DescribeAddonVersions is one line per add-on, quoting EKS", async () => {
    answerAddonVersionsWith(() => {
      throw Object.assign(
        new Error(
          "User: arn:aws:sts::111122223333:assumed-role/x/y is not authorized to perform: eks:DescribeAddonVersions",
        ),
        {
          name: "AccessDeniedException",
        },
      );
    });
    try {
      const message = await problems("staging");
      expect(message).toContain(
        `healthflow:cluster.addons.coredns = "v1.14.2-eksbuild.4": could not be checked: EKS did not list the coredns versions (User: arn:aws:sts::111122223333:assumed-role/x/y is not authorized to perform: eks:DescribeAddonVersions)`,
      );
      expect(message).toMatch(/has 6 problems found/);
    } finally {
      answerAddonVersionsWith();
    }
  });

  test("a Kubernetes version EKS offers no add-ons or AMIs for is refused, add-on by add-on", async () => {
    const staging = section("staging", "cluster");
    const addons = { ...staging.addons, kubeProxy: "v1.36.0-eksbuild.1" };
    const nodeGroups = [{ ...staging.nodeGroups[0], releaseVersion: "1.36.0-20261201" }];
    const autoscaler = { ...staging.autoscaler, imageTag: "v1.36.0" };
    const message = await problems("staging", {
      overrides: cluster({ kubernetesVersion: "1.36", addons, nodeGroups, autoscaler }),
    });
    expect(message).toMatch(/has 7 problems/);
    expect(message).toContain(
      `healthflow:cluster.addons.vpcCni = "v1.21.1-eksbuild.1": EKS offers no vpc-cni for Kubernetes 1.36 in sa-east-1\n`,
    );
    expect(message).toContain(
      `healthflow:cluster.nodeGroups[0].releaseVersion = "1.36.0-20261201": is not an EKS-optimized AL2023 arm64 release AWS publishes in sa-east-1 (reading SSM Parameter (/aws/service/eks/optimized-ami/1.36/amazon-linux-2023/arm64/standard/amazon-eks-node-al2023-arm64-standard-1.36-v20261201/image_id): couldn't find resource)`,
    );
  });

  test("a node AMI release AWS does not publish is refused, with the region's recommended one", async () => {
    // awslabs/amazon-eks-ami: 1.35 releases v20260114 ... v20260714; none on 2026-07-15.
    const nodeGroups = [
      { ...section("staging", "cluster").nodeGroups[0], releaseVersion: "1.35.6-20260715" },
    ];
    const message = await problems("staging", { overrides: cluster({ nodeGroups }) });
    expect(message).toMatch(/has 1 problem found/);
    expect(message).toContain(
      `healthflow:cluster.nodeGroups[0].releaseVersion = "1.35.6-20260715": is not an EKS-optimized AL2023 arm64 release AWS publishes in sa-east-1 (reading SSM Parameter (/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/arm64/standard/amazon-eks-node-al2023-arm64-standard-1.35-v20260715/image_id): couldn't find resource); the recommended one is 1.35.6-20260714`,
    );
    // An older release that exists is accepted: pinning is the point, not the newest.
    await check("staging", {
      overrides: cluster({
        nodeGroups: [{ ...section("staging", "cluster").nodeGroups[0], releaseVersion: "1.35.4-20260505" }],
      }),
    });
  });

  describe("the live cluster's version", () => {
    // The API server of the live cluster: a listener on loopback (reachable), or a port nothing listens on.
    let api: net.Server;
    let endpoint = "";
    let closedEndpoint = "";
    beforeAll(async () => {
      api = net.createServer((socket) => socket.end());
      await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
      endpoint = `https://127.0.0.1:${(api.address() as net.AddressInfo).port}`;
      const closed = net.createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      closedEndpoint = `https://127.0.0.1:${(closed.address() as net.AddressInfo).port}`;
      await new Promise((resolve) => closed.close(resolve));
    });
    afterAll(() => api.close());

    // A cluster at `version` whose node groups run `nodes` (each zone's group, as EKS names them).
    const running = (
      version: string,
      nodes: string[] = [version, version, version],
      access: { endpoint?: string; publicAccessCidrs?: string[] } = {},
    ): Record<string, InvokeAnswer> => {
      const groups = Object.fromEntries(
        nodes.map((v, i) => [`general-${"abc"[i]}-20261201000000000000000000`, v]),
      );
      return {
        "aws:eks/getCluster:getCluster": (inputs) => ({
          id: String(inputs.name),
          name: String(inputs.name),
          version,
          platformVersion: "eks.5",
          status: "ACTIVE",
          endpoint: access.endpoint ?? endpoint,
          vpcConfig: {
            endpointPrivateAccess: true,
            endpointPublicAccess: (access.publicAccessCidrs ?? []).length > 0,
            publicAccessCidrs: access.publicAccessCidrs ?? [],
          },
        }),
        "aws:eks/getNodeGroups:getNodeGroups": (inputs) => ({
          id: String(inputs.clusterName),
          clusterName: String(inputs.clusterName),
          names: Object.keys(groups),
        }),
        "aws:eks/getNodeGroup:getNodeGroup": (inputs) => ({
          id: `${String(inputs.clusterName)}:${String(inputs.nodeGroupName)}`,
          clusterName: String(inputs.clusterName),
          nodeGroupName: String(inputs.nodeGroupName),
          version: groups[String(inputs.nodeGroupName)],
          releaseVersion: `${groups[String(inputs.nodeGroupName)]}.0-20260114`,
          status: "ACTIVE",
        }),
      };
    };

    test("one minor behind, or the same, may be updated to kubernetesVersion (1.35)", async () => {
      await check("staging", { invokes: running("1.34") });
      await check("staging", { invokes: running("1.35") });
    });

    test("an upgrade while a node group still runs an older minor is refused: EKS would refuse it", async () => {
      expect(await problems("staging", { invokes: running("1.34", ["1.34", "1.33", "1.34"]) })).toContain(
        `healthflow:cluster.kubernetesVersion = "1.35": cannot be reached yet: the node groups general-b-20261201000000000000000000 (1.33) of healthflow-staging do not run its version 1.34, and EKS updates a control plane only when every node group runs its minor; update them first (docs/upgrades.md)`,
      );
      // At the same minor nothing is upgraded: a group behind is the update's to bring along.
      await check("staging", { invokes: running("1.35", ["1.35", "1.34", "1.35"]) });
    });

    test("skipping a minor is refused: EKS upgrades one at a time", async () => {
      expect(await problems("staging", { invokes: running("1.33") })).toContain(
        `healthflow:cluster.kubernetesVersion = "1.35": skips a minor: the cluster healthflow-staging runs 1.33, and EKS upgrades one minor at a time (go to 1.34 first; docs/upgrades.md)`,
      );
    });

    test("a downgrade is refused: EKS never downgrades a control plane", async () => {
      expect(await problems("staging", { invokes: running("1.36") })).toContain(
        `healthflow:cluster.kubernetesVersion = "1.35": is older than the cluster healthflow-staging, which runs 1.36: EKS never downgrades a control plane (with supportType STANDARD, EKS upgrades it itself when a minor leaves standard support); set kubernetesVersion to "1.36" and bring the node groups to it (docs/upgrades.md)`,
      );
    });

    test("an API this machine cannot reach stops the preview before anything changes, saying where to run from", async () => {
      // Production's endpoint is private: from outside the VPC nothing answers.
      const privateOnly = await problems("production", {
        invokes: running("1.35", undefined, { endpoint: closedEndpoint }),
      });
      expect(privateOnly).toContain(
        `healthflow:cluster.publicAccessCidrs = []: do not let this machine reach the Kubernetes API of healthflow-production (${closedEndpoint}: ECONNREFUSED); its endpoint is private, reachable only inside the VPC. Run from inside the VPC: the stack's CI runners (the Deploy, Preview and Drift workflows), or as docs/deploying.md#reaching-the-cluster says`,
      );
      // A public endpoint that does not admit this machine says which ranges it admits.
      const outside = await problems("staging", {
        invokes: running("1.35", undefined, {
          endpoint: closedEndpoint,
          publicAccessCidrs: ["203.0.113.0/24"],
        }),
      });
      expect(outside).toContain(
        `ECONNREFUSED); its public endpoint admits only 203.0.113.0/24. Run from inside the VPC`,
      );
      // One problem, the preflight's: the update would otherwise build the AWS side and fail every Kubernetes call.
      expect(outside).toMatch(/has 1 problem found by the preflight/);
    });

    test("the reachability check: null when a connection opens, else the socket's own reason", async () => {
      const { apiUnreachable } = await import("../../settings/preflight");
      expect(await apiUnreachable(endpoint, 50)).toBeNull();
      expect(await apiUnreachable(closedEndpoint, 50)).toBe("ECONNREFUSED");
    });

    test("a lookup the account refuses is one line, not taken for a first deploy", async () => {
      const message = await problems("staging", {
        invokes: {
          "aws:eks/getCluster:getCluster": () => {
            throw providerError(
              "aws:eks/getCluster:getCluster",
              "reading EKS Cluster (healthflow-staging): operation error EKS: DescribeCluster, AccessDeniedException",
            );
          },
        },
      });
      expect(message).toContain(
        `healthflow:cluster.kubernetesVersion = "1.35": could not be checked against the cluster healthflow-staging (reading EKS Cluster (healthflow-staging): operation error EKS: DescribeCluster, AccessDeniedException)`,
      );
    });
  });

  describe("the running cache's version", () => {
    test("AWS's own minor upgrade past the setting is kept, with a warning to raise the setting", async () => {
      // The stack files set 8.1; ElastiCache applied 8.2 in a maintenance window.
      const facts = await check("staging", { invokes: runningCacheAnswers("8.2.0") });
      expect(facts.cacheVersionAhead).toBe("8.2");
      expect(facts.warnings).toEqual([
        `Stack "staging": healthflow:cache.engineVersion = "8.1" is behind the running cache, which AWS upgraded to 8.2.0: the update keeps 8.2 (a lower setting would replace the cache); set cache.engineVersion to "8.2" in Pulumi.staging.yaml`,
      ]);
    });

    test("the same version, or a setting ahead of it (a deliberate upgrade), leaves the setting in charge", async () => {
      for (const running of ["8.1.0", "8.0.1", "7.2.4"]) {
        const facts = await check("staging", { invokes: runningCacheAnswers(running) });
        expect([running, facts.cacheVersionAhead, facts.warnings]).toEqual([running, undefined, []]);
      }
      // A newer major is ahead too (AWS does not move majors, but a hand might).
      expect((await check("staging", { invokes: runningCacheAnswers("9.0.0") })).cacheVersionAhead).toBe(
        "9.0",
      );
    });

    test("a lookup the account refuses is one line, not taken for a first deploy", async () => {
      const message = await problems("staging", {
        invokes: {
          "aws:elasticache/getReplicationGroup:getReplicationGroup": () => {
            throw providerError(
              "aws:elasticache/getReplicationGroup:getReplicationGroup",
              "reading ElastiCache Replication Group (healthflow-staging-cache): AccessDenied",
            );
          },
        },
      });
      expect(message).toContain(
        `healthflow:cache.engineVersion = "8.1": could not be checked against the running cache (reading ElastiCache Replication Group (healthflow-staging-cache): AccessDenied)`,
      );
    });
  });

  describe("GuardDuty's one detector per account and region", () => {
    const audit = (detector: string) => ({
      "healthflow:audit": { ...section("staging", "audit"), detector },
    });

    test("another detector in the region stops a stack that would create its own, saying how to use or take it", async () => {
      const message = await problems("staging", {
        invokes: existingDetectorAnswers("12abc34d567e8fa901bc2d34eexample", { team: "security" }),
      });
      expect(message).toContain(
        `healthflow:audit.detector = "create": cannot create a GuardDuty detector: the account already has 12abc34d567e8fa901bc2d34eexample in sa-east-1, and GuardDuty allows one per account and region; set audit.detector to "existing" to use it`,
      );
      expect(message).toContain(
        "pulumi import aws:guardduty/detector:Detector guardduty 12abc34d567e8fa901bc2d34eexample",
      );
    });

    test("the stack's own detector (its tags name the stack) is no obstacle to the next update", async () => {
      const facts = await check("staging", {
        invokes: existingDetectorAnswers("0a1b2c3d4e5f60718293a4b5c6d7e8f9", {
          stack: "staging",
          "managed-by": "pulumi",
        }),
      });
      expect(facts.guardDutyDetectorId).toBeUndefined();
      // Another stack's is another's: production's detector in staging's account is refused.
      await expect(
        problems("staging", {
          invokes: existingDetectorAnswers("0a1b2c3d4e5f60718293a4b5c6d7e8f9", {
            stack: "production",
            "managed-by": "pulumi",
          }),
        }),
      ).resolves.toContain("cannot create a GuardDuty detector");
    });

    test("existing: the account's detector is used; none is refused", async () => {
      const facts = await check("staging", {
        overrides: audit("existing"),
        invokes: existingDetectorAnswers("12abc34d567e8fa901bc2d34eexample", {}),
      });
      expect(facts.guardDutyDetectorId).toBe("12abc34d567e8fa901bc2d34eexample");
      expect(await problems("staging", { overrides: audit("existing") })).toContain(
        `healthflow:audit.detector = "existing": finds no GuardDuty detector in sa-east-1: set audit.detector to "create"`,
      );
    });
  });

  describe("the runners' GitHub connection", () => {
    const connection = (status: string, providerType = "GitHub"): Record<string, InvokeAnswer> => ({
      "aws:codestarconnections/getConnection:getConnection": (inputs) => ({
        arn: String(inputs.arn),
        id: String(inputs.arn),
        name: "healthflow-github",
        connectionStatus: status,
        providerType,
      }),
    });

    test("a connection nobody finished in the console is refused before the runners' webhook would be", async () => {
      expect(await problems("staging", { invokes: connection("PENDING") })).toContain(
        `healthflow:runners.connectionArn = "arn:aws:codeconnections:sa-east-1:111122223333:connection/00000000-0000-4000...: is PENDING, not AVAILABLE: finish it in the AWS console`,
      );
      await check("staging", { invokes: connection("AVAILABLE") });
    });

    test("a connection to another provider, or one the account does not have, is refused", async () => {
      expect(await problems("staging", { invokes: connection("AVAILABLE", "Bitbucket") })).toContain(
        "is a connection to Bitbucket, not to GitHub",
      );
      const missing = await problems("staging", {
        invokes: {
          "aws:codestarconnections/getConnection:getConnection": () => {
            throw providerError(
              "aws:codestarconnections/getConnection:getConnection",
              "reading CodeStar Connections Connection: ResourceNotFoundException",
            );
          },
        },
      });
      expect(missing).toContain(
        "could not be read (reading CodeStar Connections Connection: ResourceNotFoundException)",
      );
    });
  });

  test("a node type EC2 does not offer in one of the network's zones is refused", async () => {
    // An account where sa-east-1b has no m7g.large (zone names map to different zones per account).
    const offerings = AWS_ANSWERS["aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings"];
    const withoutB: InvokeAnswer = (inputs) => {
      const all = offerings(inputs) as { instanceTypes: string[]; locations: string[] };
      const keep = all.instanceTypes.map((t, i) => !(t === "m7g.large" && all.locations[i] === "sa-east-1b"));
      return {
        ...all,
        instanceTypes: all.instanceTypes.filter((_, i) => keep[i]),
        locations: all.locations.filter((_, i) => keep[i]),
      };
    };
    const message = await problems("staging", {
      invokes: { "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": withoutB },
    });
    expect(message).toContain(
      `healthflow:cluster.nodeGroups[0].instanceTypes[0] = "m7g.large": is not offered in sa-east-1b, where the nodes run (network.availabilityZones: sa-east-1a, sa-east-1b, sa-east-1c)`,
    );
  });

  test("a database class RDS does not offer, and one without Performance Insights, are refused", async () => {
    expect(
      await problems("production", { overrides: database("production", { instanceClass: "db.m9z.large" }) }),
    ).toContain(
      `healthflow:database.instanceClass = "db.m9z.large": RDS offers no gp3 PostgreSQL 16.10 instance of this class in sa-east-1 (no RDS Orderable DB Instance Options found matching criteria; try different search)`,
    );
    expect(
      await problems("staging", { overrides: database("staging", { instanceClass: "db.t4g.small" }) }),
    ).toContain(
      `healthflow:database.instanceClass = "db.t4g.small": does not support Performance Insights for PostgreSQL 16.10 in sa-east-1`,
    );
  });

  test("a PostgreSQL major RDS does not have is refused", async () => {
    const backups = {
      ...section("staging", "backups"),
      images: { ...section("staging", "backups").images, postgres: "postgres:19.0-alpine" },
    };
    const message = await problems("staging", {
      overrides: { ...database("staging", { engineVersion: "19" }), "healthflow:backups": backups },
    });
    expect(message).toContain(
      `healthflow:database.engineVersion = "19": RDS has no PostgreSQL 19 in sa-east-1 (no RDS engine versions found`,
    );
  });

  test("a cache node type ElastiCache does not offer is refused", async () => {
    const message = await problems("staging", {
      overrides: { "healthflow:cache": { ...section("staging", "cache"), nodeType: "cache.m9z.large" } },
    });
    expect(message).toContain(
      `healthflow:cache.nodeType = "cache.m9z.large": ElastiCache offers no valkey node of this type in sa-east-1 (reading ElastiCache Reserved Cache Node Offering: empty result)`,
    );
  });

  test("an account without Auto Scaling's service-linked role is told the one command to run", async () => {
    const message = await problems("staging", {
      invokes: {
        "aws:iam/getRole:getRole": () => {
          throw providerError(
            "aws:iam/getRole:getRole",
            "reading IAM Role (AWSServiceRoleForAutoScaling): couldn't find resource",
          );
        },
      },
    });
    expect(message).toContain(
      "aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com",
    );
  });

  describe("Prometheus's existing volumes", () => {
    // The EBS CSI driver tags each volume with its claim (aws-ebs-csi-driver docs/tagging.md); the
    // StorageClass adds the stack's tags. prometheus-operator names the claims <template>-<pod>.
    const claim =
      "prometheus-kube-prometheus-stack-prometheus-db-prometheus-kube-prometheus-stack-prometheus-0";
    const tags = (stack: string, name: string) => ({
      stack,
      "kubernetes.io/created-for/pvc/namespace": "monitoring",
      "kubernetes.io/created-for/pvc/name": name,
    });

    test("only this stack's Prometheus claims count: another stack's, and Alertmanager's, are not its", async () => {
      const facts = await check("staging", {
        invokes: ebsVolumeAnswers([
          { volumeId: "vol-0000000000000000a", size: 40, tags: tags("staging", claim) },
          { volumeId: "vol-0000000000000000b", size: 500, tags: tags("production", claim) },
          {
            volumeId: "vol-0000000000000000c",
            size: 900,
            tags: tags(
              "staging",
              "alertmanager-kube-prometheus-stack-alertmanager-db-alertmanager-kube-prometheus-stack-alertmanager-0",
            ),
          },
        ]),
      });
      expect(facts.prometheusVolumes).toEqual([
        { claim, volumeId: "vol-0000000000000000a", sizeGiB: 40, zone: "sa-east-1a", attached: true },
      ]);
    });

    test("a setting below a volume's size is refused: neither a claim nor an EBS volume shrinks", async () => {
      const message = await problems("staging", {
        invokes: ebsVolumeAnswers([
          { volumeId: "vol-0000000000000000a", size: 80, tags: tags("staging", claim) },
        ]),
      });
      // Staging asks for 50 GiB.
      expect(message).toContain(
        `healthflow:monitoring.prometheusStorageGiB = 50: is below the 80 GiB of Prometheus's volume vol-0000000000000000a (claim ${claim})`,
      );
    });

    test("replicas' volumes in one zone are refused, Alertmanager's too; leftovers and replicas beyond the count are not", async () => {
      const prometheus = (n: number) => `${claim.slice(0, -1)}${n}`;
      const alertmanager = (n: number) =>
        `alertmanager-kube-prometheus-stack-alertmanager-db-alertmanager-kube-prometheus-stack-alertmanager-${n}`;
      const at = (id: string, name: string, zone: string, status?: "available") => ({
        volumeId: id,
        size: 50,
        zone,
        ...(status ? { status } : {}),
        tags: tags("production", name),
      });
      const message = await problems("production", {
        overrides: {
          "healthflow:monitoring": { ...section("production", "monitoring"), prometheusStorageGiB: 50 },
        },
        invokes: ebsVolumeAnswers([
          at("vol-0000000000000000a", prometheus(0), "sa-east-1b"),
          at("vol-0000000000000000b", prometheus(1), "sa-east-1b"),
          at("vol-0000000000000000c", alertmanager(0), "sa-east-1c"),
          at("vol-0000000000000000d", alertmanager(1), "sa-east-1c"),
        ]),
      });
      expect(message).toContain(
        `healthflow:monitoring.replicas = 2: cannot all run: Prometheus's volumes vol-0000000000000000a (claim ${prometheus(0)}) and vol-0000000000000000b (claim ${prometheus(1)}) are all in sa-east-1b`,
      );
      expect(message).toContain(
        `healthflow:monitoring.replicas = 2: cannot all run: Alertmanager's volumes vol-0000000000000000c (claim ${alertmanager(0)}) and vol-0000000000000000d (claim ${alertmanager(1)}) are all in sa-east-1c`,
      );
      // A claim with a leftover volume beside it, and a claim past the replica count (kept by a
      // scale-down), say nothing certain about where a replica runs.
      const facts = await check("production", {
        overrides: {
          "healthflow:monitoring": { ...section("production", "monitoring"), prometheusStorageGiB: 50 },
        },
        invokes: ebsVolumeAnswers([
          at("vol-0000000000000000a", prometheus(0), "sa-east-1b"),
          at("vol-0000000000000000b", prometheus(1), "sa-east-1c"),
          at("vol-0000000000000000e", prometheus(1), "sa-east-1b", "available"),
          at("vol-0000000000000000f", prometheus(2), "sa-east-1b"),
        ]),
      });
      expect(facts.prometheusVolumes.map((v) => [v.volumeId, v.attached])).toEqual([
        ["vol-0000000000000000a", true],
        ["vol-0000000000000000b", true],
        ["vol-0000000000000000e", false],
        ["vol-0000000000000000f", true],
      ]);
    });

    test("a lookup the account refuses is one line, naming the setting it could not check", async () => {
      const message = await problems("staging", {
        invokes: {
          "aws:ebs/getEbsVolumes:getEbsVolumes": () => {
            throw providerError(
              "aws:ebs/getEbsVolumes:getEbsVolumes",
              "reading EC2 Volumes: api error UnauthorizedOperation: You are not authorized to perform this operation.",
            );
          },
        },
      });
      expect(message).toContain(
        "healthflow:monitoring.prometheusStorageGiB = 50: could not be checked against the monitoring volumes that already exist (reading EC2 Volumes: api error UnauthorizedOperation",
      );
    });
  });

  test("every problem at once, in one message", async () => {
    const message = await problems("production", {
      overrides: {
        ...database("production", { instanceClass: "db.m9z.large" }),
        "healthflow:cache": { ...section("production", "cache"), nodeType: "cache.m9z.large" },
      },
      invokes: realAccount("arn:aws:sts::210987654321:assumed-role/someone-else/s"),
    });
    expect(message).toMatch(/has 3 problems found by the preflight in AWS account 210987654321/);
    expect(message.split("\n").filter((l) => l.startsWith("  - "))).toHaveLength(3);
  });
});

describe("reading the provider's answers", () => {
  test("an invoke's error gives the provider's own reason", () => {
    const token = "aws:rds/getEngineVersion:getEngineVersion";
    expect(invokeReason(providerError(token, "no RDS engine versions found"))).toBe(
      "no RDS engine versions found",
    );
    expect(
      invokeReason(new Error(`invocation of ${token} returned an error: AccessDenied: not authorized`)),
    ).toBe("AccessDenied: not authorized");
    // The engine's wrapping around a reason without bullets: both prefixes go, and the spaces after.
    expect(
      invokeReason(
        new Error(`invocation of ${token} returned an error: invoking ${token}: ThrottlingException  \n`),
      ),
    ).toBe("ThrottlingException");
    // Only at the start: the same words inside a longer message are the message.
    const inner = `rpc error: invocation of ${token} returned an error: boom`;
    expect(invokeReason(new Error(inner))).toBe(inner);
    // Several reasons, each on its own bullet line: one line, "; " between them.
    expect(
      invokeReason(
        new Error(`invocation of ${token} returned an error: 2 errors occurred:\n\t* first\n\t* second\n`),
      ),
    ).toBe("first; second");
    // A rejection that is no Error at all (a string, or nothing) is still a line, never a crash.
    expect(invokeReason("socket hang up")).toBe("socket hang up");
    expect(invokeReason(undefined)).toBe("undefined");
  });

  test("add-on versions order by upstream version, then EKS build", () => {
    expect(compareAddonVersions("v1.21.1-eksbuild.1", "v1.21.1-eksbuild.3")).toBeLessThan(0);
    expect(compareAddonVersions("v1.21.10-eksbuild.1", "v1.21.9-eksbuild.9")).toBeGreaterThan(0);
    expect(compareAddonVersions("v0.8.1-eksbuild.10", "v0.8.1-eksbuild.10")).toBe(0);
  });
});

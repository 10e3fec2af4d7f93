/**
 * The cost rules: a small stack whose bill is computed here by hand from the price file, the model's response
 * to a bigger node group or one more replica, and the budget rule's verdict.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { costMonthlyBudget } from "../../../policies/stack/aws/cost/monthly-budget";
import { costMonthlyEstimate } from "../../../policies/stack/aws/cost/monthly-estimate";
import { estimateMonthlyCost, instanceVcpus, price, range } from "../../../policies/stack/aws/cost/estimate";
import pricing from "../../../policies/stack/aws/cost/prices-sa-east-1.json";
import { runPolicies, type OfflineResource } from "../../../policies/offline";
import { analyzerProps } from "../../../policies/offline/resources";
import { resource, rootStack, UNKNOWN } from "../fixtures";

const H = 730;

/** One cluster, one node group of 2-5 m7g.large with 50 GiB disks, one Multi-AZ db.m7g.large of 100-400 GB. */
function smallStack(options: { maxNodes?: number; replicas?: number } = {}): OfflineResource[] {
  const { maxNodes = 5, replicas = 0 } = options;
  return [
    rootStack,
    resource(aws.eks.Cluster, "eks", { name: "healthflow" }),
    resource(aws.ec2.LaunchTemplate, "nodes", {
      blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 50, volumeType: "gp3" } }],
    }),
    resource(aws.eks.NodeGroup, "general", {
      instanceTypes: ["m7g.large"],
      scalingConfig: { minSize: 2, desiredSize: 2, maxSize: maxNodes },
      launchTemplate: { id: UNKNOWN, version: UNKNOWN },
    }),
    resource(aws.rds.Instance, "postgres", {
      identifier: "db",
      instanceClass: "db.m7g.large",
      multiAz: true,
      allocatedStorage: 100,
      maxAllocatedStorage: 400,
    }),
    ...Array.from({ length: replicas }, (_, i) =>
      resource(aws.rds.Instance, `replica-${i}`, {
        identifier: `db-replica-${i}`,
        instanceClass: "db.m7g.large",
        replicateSourceDb: UNKNOWN,
        maxAllocatedStorage: 400,
      }),
    ),
    resource(aws.kms.Key, "key", { enableKeyRotation: true }),
  ];
}

const estimateOf = (resources: OfflineResource[]) =>
  estimateMonthlyCost(resources.map((r) => ({ type: r.type, props: r.props })));

describe("the monthly cost model", () => {
  it("prices a small stack as a hand computation from the price file does", () => {
    const p = (key: string) => pricing.prices[key as keyof typeof pricing.prices].price;
    const fixed =
      H * p("eks.cluster.hour") + H * p("rds.postgres.db.m7g.large.multiaz.hour") + p("kms.key.month");
    const min =
      fixed +
      2 * H * p("ec2.m7g.large.hour") +
      2 * 50 * p("ebs.gp3.gb-month") +
      100 * p("rds.gp3.multiaz.gb-month");
    const max =
      fixed +
      5 * H * p("ec2.m7g.large.hour") +
      5 * 50 * p("ebs.gp3.gb-month") +
      400 * p("rds.gp3.multiaz.gb-month");
    const estimate = estimateOf(smallStack());
    expect(estimate.min).toBeCloseTo(min, 6);
    expect(estimate.max).toBeCloseTo(max, 6);
    // 0.10 x 730 + 0.4396 x 730 + 1 + 2 x 0.1301 x 730 + 100 x 0.152 + 100 x 0.438, written out once.
    expect(estimate.min).toBeCloseTo(73 + 320.908 + 1 + 189.946 + 15.2 + 43.8, 3);
    expect(estimate.unpriced).toEqual([]);
  });

  it("raising the node group's maximum adds exactly the nodes and their disks, at maximum scale only", () => {
    const before = estimateOf(smallStack());
    const after = estimateOf(smallStack({ maxNodes: 8 }));
    expect(after.min).toBeCloseTo(before.min, 6);
    expect(after.max - before.max).toBeCloseTo(
      3 * (H * price("ec2.m7g.large.hour")! + 50 * price("ebs.gp3.gb-month")!),
      6,
    );
  });

  it("a read replica adds a single-AZ instance and its source's storage", () => {
    const before = estimateOf(smallStack());
    const after = estimateOf(smallStack({ replicas: 1 }));
    const instance = H * price("rds.postgres.db.m7g.large.hour")!;
    expect(after.min - before.min).toBeCloseTo(instance + 100 * price("rds.gp3.gb-month")!, 6);
    expect(after.max - before.max).toBeCloseTo(instance + 400 * price("rds.gp3.gb-month")!, 6);
  });

  it("CI runners add their machine's build minutes, at every scale", () => {
    const before = estimateOf(smallStack());
    const runner = resource(aws.codebuild.Project, "runner", {
      environment: { type: "LINUX_CONTAINER", computeType: "BUILD_GENERAL1_MEDIUM", image: "x" },
    });
    const after = estimateOf([...smallStack(), runner]);
    const minutes = pricing.assumptions.runnerMinutesPerMonth.value;
    const added = minutes * price("codebuild.BUILD_GENERAL1_MEDIUM.minute")!;
    expect([after.min - before.min, after.max - before.max].map((d) => d.toFixed(6))).toEqual(
      [added, added].map((d) => d.toFixed(6)),
    );
    // A medium machine a month of 3,000 minutes is tens of dollars, not cents or thousands.
    expect(added).toBeGreaterThan(10);
    expect(added).toBeLessThan(200);
  });

  it("a shipped container-log group costs its traffic's ingestion and a year of storage; a service's group its own", () => {
    const before = estimateOf(smallStack());
    const group = (name: string, tags?: Record<string, string>) =>
      resource(aws.cloudwatch.LogGroup, name, { name, retentionInDays: 365, tags });
    const shipped = estimateOf([...smallStack(), group("access", { purpose: "container-logs" })]);
    const service = estimateOf([...smallStack(), group("flow")]);
    const gb = (key: "containerLogGbPerGroupMonth" | "logIngestGbPerGroupMonth") =>
      pricing.assumptions[key].value;
    // A month's ingestion, and at steady state 365 days (12.17 months) of it stored.
    const cost = (ingest: number) =>
      ingest * price("cloudwatch.logs.ingest.gb")! +
      ingest * (365 / 30) * price("cloudwatch.logs.store.gb-month")!;
    expect((shipped.max - before.max).toFixed(6)).toBe(cost(gb("containerLogGbPerGroupMonth")).toFixed(6));
    expect((service.max - before.max).toFixed(6)).toBe(cost(gb("logIngestGbPerGroupMonth")).toFixed(6));
    expect(shipped.items.map((i) => i.name)).toContain(
      `CloudWatch Logs ingestion, container logs: 1 groups (assumed ${gb("containerLogGbPerGroupMonth")} GB/month each)`,
    );
  });

  it("GuardDuty costs what each protection analyses: the nodes' vCPUs at both scales, the databases', assumed volumes", () => {
    const before = estimateOf(smallStack());
    const feature = (name: string, status = "ENABLED") =>
      resource(aws.guardduty.DetectorFeature, name.toLowerCase(), { detectorId: UNKNOWN, name, status });
    const after = estimateOf([
      ...smallStack(),
      resource(aws.guardduty.Detector, "guardduty", { enable: true }),
      ...[
        "EKS_AUDIT_LOGS",
        "RUNTIME_MONITORING",
        "RDS_LOGIN_EVENTS",
        "S3_DATA_EVENTS",
        "EBS_MALWARE_PROTECTION",
      ].map((name) => feature(name)),
    ]);
    const a = (key: keyof typeof pricing.assumptions) => pricing.assumptions[key].value;
    // The small stack: 2-5 m7g.large nodes of 2 vCPUs each (EC2 user guide), one db.m7g.large of 2 vCPUs.
    const fixed =
      (a("managementEventsPerMonth") / 1e6) * price("guardduty.cloudtrail.management.1m")! +
      a("guardDutyFlowDnsGbPerMonth") * price("guardduty.vpcflow-dns.gb")! +
      (a("eksAuditEventsPerMonth") / 1e6) * price("guardduty.eks.auditlogs.1m")! +
      (a("trailDataEventsPerMonth") / 1e6) * price("guardduty.s3.dataevents.1m")! +
      2 * price("guardduty.rds.vcpu-month")! +
      a("guardDutyMalwareScanGbPerMonth") * price("guardduty.malware.ebs.gb")!;
    const runtime = price("guardduty.runtime.eks.vcpu-month")!;
    expect([after.min - before.min, after.max - before.max].map((d) => d.toFixed(6))).toEqual(
      [fixed + 4 * runtime, fixed + 10 * runtime].map((d) => d.toFixed(6)),
    );
    // A database class whose vCPUs the model does not know is named, not counted as none silently.
    const odd = estimateOf([
      ...smallStack().map((r) =>
        r.name === "postgres" ? { ...r, props: { ...r.props, instanceClass: "db.x2g.large" } } : r,
      ),
      feature("RDS_LOGIN_EVENTS"),
    ]);
    expect(odd.unpriced).toContain("GuardDuty RDS login activity of db.x2g.large (vCPUs unknown)");
    // A protection turned off costs nothing.
    const withoutRuntime = estimateOf([...smallStack(), feature("RUNTIME_MONITORING", "DISABLED")]);
    expect(withoutRuntime.items.map((i) => i.name).filter((n) => n.includes("runtime"))).toEqual([]);
  });

  it("prices a cache that names no engine as ElastiCache's default, Redis", () => {
    // The provider's engine defaults to "redis" (aws_elasticache_replication_group: engine, Default: redis).
    const cache = (props: Record<string, unknown>) =>
      resource(aws.elasticache.ReplicationGroup, "cache", {
        nodeType: "cache.t4g.small",
        numCacheClusters: 1,
        ...props,
      });
    const unnamed = estimateOf([...smallStack(), cache({})]);
    const redis = estimateOf([...smallStack(), cache({ engine: "redis" })]);
    const valkey = estimateOf([...smallStack(), cache({ engine: "valkey" })]);
    expect(unnamed.max.toFixed(6)).toBe(redis.max.toFixed(6));
    expect(unnamed.max).not.toBeCloseTo(valkey.max, 2);
  });

  it("counts vCPUs as AWS sizes its instances", () => {
    // EC2 and RDS instance type specifications: m7g.large 2 vCPUs, xlarge 4, 2xlarge 8; c7g.medium 1;
    // r6g.4xlarge 16; the burstable db.t4g.medium 2, t3.micro 2, t3.xlarge 4, t2.micro 1, t2.medium 2.
    expect(
      [
        "m7g.large",
        "m7g.xlarge",
        "m7g.2xlarge",
        "c7g.medium",
        "db.r6g.4xlarge",
        "db.t4g.medium",
        "t3.micro",
        "t3.xlarge",
        "t2.micro",
        "t2.medium",
      ].map(instanceVcpus),
    ).toEqual([2, 4, 8, 1, 16, 2, 2, 4, 1, 2]);
    // A family whose sizes follow other rules is left unpriced, not guessed.
    expect(["x2gd.large", "u-6tb1.metal", "m7g.metal"].map(instanceVcpus)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("says what it cannot price instead of guessing: a value unknown in preview, a type with no price", () => {
    const stack = smallStack();
    const group = stack.find((r) => r.name === "general")!;
    group.props = { ...group.props, instanceTypes: ["c7g.4xlarge"] };
    const estimate = estimateOf(stack);
    expect(estimate.unpriced).toEqual([
      "EKS nodes: 2-5 x c7g.4xlarge (no price for ec2.c7g.4xlarge.hour in prices-sa-east-1.json)",
    ]);
    // The node group's size unknown until deployment: no node priced, and the reader is told so.
    const unknownSize = smallStack();
    const sized = unknownSize.find((r) => r.name === "general")!;
    sized.props = { ...sized.props, scalingConfig: UNKNOWN };
    // As the analyzer hands them over: reading an unknown value throws (policies/offline/resources.ts).
    const withoutNodes = estimateMonthlyCost(
      unknownSize.map((r) => ({ type: r.type, props: analyzerProps(r.props) })),
    );
    expect(withoutNodes.unpriced).toEqual(["node group size (unknown until deployment)"]);
    expect(withoutNodes.items.map((i) => i.name).filter((n) => n.startsWith("EKS nodes"))).toEqual([]);
  });

  it("a database whose Multi-AZ is unknown in preview is priced single-AZ, the lower figure, and said so", () => {
    const stack = smallStack();
    const db = stack.find((r) => r.name === "postgres")!;
    db.props = { ...db.props, multiAz: UNKNOWN };
    const estimate = estimateMonthlyCost(stack.map((r) => ({ type: r.type, props: analyzerProps(r.props) })));
    expect(estimate.unpriced).toEqual(["database Multi-AZ (unknown until deployment)"]);
    const instance = estimate.items.find((i) => i.name.startsWith("RDS db:"))!;
    expect(instance.max.toFixed(6)).toBe((H * price("rds.postgres.db.m7g.large.hour")!).toFixed(6));
  });

  it("names each item as a reader looks it up, with the API's defaults filled in", () => {
    const chart = resource(k8s.helm.v4.Chart, "monitoring", {
      values: {
        prometheus: {
          prometheusSpec: {
            storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "1Ti" } } } } },
          },
        },
      },
    });
    const stack = [
      resource(aws.eks.Cluster, "eks", { name: "healthflow" }),
      resource(aws.eks.Cluster, "eks-dr", { name: "healthflow-dr" }),
      // No identifier (RDS names it), no multiAz (single-AZ), no engine or node count (Redis, one node).
      resource(aws.rds.Instance, "db", { instanceClass: "db.m7g.large", allocatedStorage: 100 }),
      resource(aws.elasticache.ReplicationGroup, "redis", { nodeType: "cache.m7g.large" }),
      chart,
    ];
    const estimate = estimateOf(stack);
    expect(estimate.items.map((item) => item.name).sort()).toEqual([
      "EKS control plane x 2",
      "ElastiCache redis: 1 x cache.m7g.large",
      "RDS postgres storage: gp3 100 GB",
      "RDS postgres: db.m7g.large",
      // 1Ti is 1024 GiB; the operator runs one replica unless told otherwise.
      "prometheus volumes: 1 x 1024 GiB gp3",
    ]);
    expect(estimate.unpriced).toEqual([]);
  });

  it("every price and assumption names its source or reason", () => {
    for (const [key, item] of Object.entries(pricing.prices)) {
      expect([key, item.price > 0 || key.startsWith("rds.performance"), item.source.length > 20]).toEqual([
        key,
        true,
        true,
      ]);
    }
    for (const [key, assumption] of Object.entries(pricing.assumptions)) {
      expect([key, assumption.why.length > 20]).toEqual([key, true]);
    }
  });

  it("prints dollars rounded and grouped by thousands, as en-US does", () => {
    expect(range(0.4, 0.4)).toBe("$0");
    expect(range(999.5, 999.5)).toBe("$1,000");
    expect(range(822.2, 1078.49)).toBe("$822 to $1,078");
    expect(range(2557, 1234567.8)).toBe("$2,557 to $1,234,568");
    for (const n of [0, 7, 12, 123, 1234, 12345, 123456, 1234567, 98765432]) {
      expect(range(n, n)).toBe(`$${n.toLocaleString("en-US")}`);
    }
  });
});

describe("aws-cost-monthly-estimate and aws-cost-monthly-budget", () => {
  // Only the cost rules: the small stack is not meant to pass the others.
  const run = (config: Record<string, unknown>) => runPolicies(smallStack(), { all: "disabled", ...config });

  it("the estimate is reported on every preview, advisory, with the totals and top items", async () => {
    const result = await run({ "aws-cost-monthly-estimate": "advisory" });
    const notes = result.violations.filter((v) => v.policyName === costMonthlyEstimate.name);
    expect(notes).toHaveLength(1);
    expect(notes[0].enforcementLevel).toBe("advisory");
    expect(notes[0].message).toMatch(
      /Estimated monthly cost \(sa-east-1, on-demand USD.*\): \$\d[\d,]* to \$\d[\d,]*/,
    );
    expect(notes[0].message).toContain("Top items: EKS nodes: 2-5 x m7g.large");
  });

  it("a stack with nothing billed by AWS gets no estimate", async () => {
    const result = await runPolicies([rootStack], {
      all: "disabled",
      "aws-cost-monthly-estimate": "advisory",
    });
    expect(result.violations).toEqual([]);
  });

  it("over budget is a violation at the configured level, under budget is none", async () => {
    const { max } = estimateOf(smallStack());
    const over = await run({
      "aws-cost-monthly-estimate": "disabled",
      "aws-cost-monthly-budget": { enforcementLevel: "mandatory", maxMonthlyUsd: Math.floor(max) - 1 },
    });
    expect(over.violations.map((v) => [v.policyName, v.enforcementLevel])).toEqual([
      [costMonthlyBudget.name, "mandatory"],
    ]);
    expect(over.violations[0].message).toContain("within its budget of");
    const under = await run({
      "aws-cost-monthly-estimate": "disabled",
      "aws-cost-monthly-budget": { maxMonthlyUsd: Math.ceil(max) + 1 },
    });
    expect(under.violations).toEqual([]);
  });
});

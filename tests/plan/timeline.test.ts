import * as fs from "fs";
import * as path from "path";
import { createTime, CREATE_TIMES } from "../../tools/plan/createTimes";
import { timeline, type TimedResource } from "../../tools/plan/timeline";
import { plannedStack } from "../harness/plans";

const urn = (type: string, name: string, parent = "pulumi:pulumi:Stack") =>
  `urn:pulumi:production::healthflow::${parent}$${type}::${name}`;

describe("the estimated critical path of a fresh up", () => {
  test("waits for dependencies and providers, runs the rest in parallel, and sees through components", () => {
    const vpc = urn("aws:ec2/vpc:Vpc", "vpc");
    const eks = urn("aws:eks/cluster:Cluster", "eks");
    const provider = urn("pulumi:providers:kubernetes", "k8s");
    const component = urn("healthflow:data:Data", "data");
    const db = urn("aws:rds/instance:Instance", "postgres", "healthflow:data:Data");
    const secret = urn("kubernetes:core/v1:Secret", "secrets");
    const graph: TimedResource[] = [
      { urn: vpc, type: "aws:ec2/vpc:Vpc", custom: true, dependencies: [] },
      { urn: eks, type: "aws:eks/cluster:Cluster", custom: true, dependencies: [vpc] },
      { urn: provider, type: "pulumi:providers:kubernetes", custom: true, dependencies: [eks] },
      { urn: component, type: "healthflow:data:Data", custom: false, dependencies: [] },
      {
        urn: db,
        type: "aws:rds/instance:Instance",
        custom: true,
        parent: component,
        dependencies: [vpc],
        inputs: { multiAz: true },
      },
      // Waits for the component (its database) and for the cluster, through its provider.
      {
        urn: secret,
        type: "kubernetes:core/v1:Secret",
        custom: true,
        dependencies: [component],
        provider: `${provider}::id`,
      },
    ];
    const { totalSeconds, criticalPath } = timeline(graph);
    expect(totalSeconds).toBe(5 + 18 * 60 + 5);
    expect(criticalPath.map((s) => [s.name, s.start, s.finish])).toEqual([
      ["vpc", 0, 5],
      ["postgres", 5, 5 + 18 * 60],
      ["secrets", 5 + 18 * 60, 5 + 18 * 60 + 5],
    ]);
    // Without the database the secret waits for the cluster instead, via the provider.
    const withoutDb = timeline(graph.filter((r) => r.urn !== db));
    expect(withoutDb.criticalPath.map((s) => s.name)).toEqual(["vpc", "eks", "secrets"]);
  });

  test("every row of the times table names its source, and a read replica is not timed as a new primary", () => {
    for (const row of CREATE_TIMES)
      expect([row.type, row.source.trim().length > 0]).toEqual([row.type, true]);
    const rds = "aws:rds/instance:Instance";
    expect(createTime(rds, { replicateSourceDb: "primary", multiAz: false }).row?.label).toBe("read replica");
    expect(createTime(rds, { multiAz: true }).row?.label).toBe("Multi-AZ");
    expect(createTime("pulumi:providers:aws", {}).seconds).toBe(0);
  });

  test("production before the data layer ran beside the cluster: over 40 minutes, the database behind EKS", () => {
    const before = JSON.parse(
      fs.readFileSync(path.join(__dirname, "fixtures/production-graph-before-parallel-data.json"), "utf8"),
    ) as { resources: TimedResource[] };
    const { totalSeconds, criticalPath } = timeline(before.resources);
    expect(totalSeconds / 60).toBeGreaterThan(40);
    const names = criticalPath.map((s) => s.name);
    expect(names.indexOf("eks")).toBeLessThan(names.indexOf("postgres"));
    expect(names).toContain("postgres-replica-1");
  });

  test("production now: under 30 minutes, the database beside the cluster and the apps not behind the replica", () => {
    const { totalSeconds, criticalPath } = timeline(plannedStack("production").run.resources);
    expect(totalSeconds / 60).toBeLessThan(30);
    const names = criticalPath.map((s) => s.name);
    // What remains is what cannot run in parallel: a replica is made from its primary.
    expect(names).not.toContain("eks");
    expect(names).toEqual(expect.arrayContaining(["postgres", "postgres-replica-1"]));
    // No app waits for the replica: every Deployment is rolled out before the replica exists.
    const { steps } = timeline(plannedStack("production").run.resources);
    const all = [...steps.values()];
    const replica = all.find((s) => s.name === "postgres-replica-1")!;
    const deployments = all.filter((s) => s.type === "kubernetes:apps/v1:Deployment");
    expect(deployments.map((d) => d.name).sort()).toEqual(["api", "web", "worker"]);
    for (const d of deployments) expect([d.name, d.finish < replica.finish]).toEqual([d.name, true]);
  });

  test("the plan prints the estimate and its critical path for the cloud stacks, none for dev", () => {
    expect(plannedStack("production").output).toMatch(
      /A fresh `pulumi up`, estimated from the dependency graph: about \d+ min/,
    );
    expect(plannedStack("dev").output).toContain("dev runs on the local Docker engine, no estimate");
  });
});

import { compareAddonVersions } from "../../settings/catalog/addons";
import { allocatableAtMax, capacityProblem, requestsAtMax, surge } from "../../settings/catalog/capacity";
import {
  cheapestPlanFor,
  type CloudflarePlan,
  planProblems,
  rateLimitPlan,
} from "../../settings/catalog/cloudflarePlans";

// The catalog's arithmetic, against figures worked out by hand from the rules the code cites.

describe("capacity at every HPA's maximum (settings/catalog/capacity.ts)", () => {
  // A Deployment's default maxSurge is 25 %, rounded up (Kubernetes, Deployment strategy).
  test.each([
    [1, 2],
    [4, 5],
    [10, 13],
    [16, 20],
  ])("a rollout of %p pods runs up to %p at once", (replicas, during) => {
    expect(surge(replicas)).toBe(during);
  });

  test("requests add up per app: surge x request, CPU in cores and memory in GiB", () => {
    const app = (cpu: string, memory: string, maxReplicas: number) => ({
      resources: { requests: { cpu, memory }, limits: { cpu, memory } },
      autoscaling: { maxReplicas },
    });
    // api: 5 pods (4 + 25 %) x 500m and 512Mi; web: 3 pods (2 + 25 %) x 250m and 1Gi.
    expect(requestsAtMax({ api: app("500m", "512Mi", 4), web: app("250m", "1Gi", 2) })).toEqual({
      cpu: 3.25,
      memoryGiB: 5.5,
    });
  });

  test("a group counts its smallest known instance type at its maximum size, after the kubelet's reservation", () => {
    // m7g.large: 2 vCPU, 8 GiB, 29 pods. EKS AMI reservation: 6 % + 1 % of a core; 255 MiB + 11 MiB
    // per pod + 100 MiB eviction threshold = 674 MiB. Three nodes: 3 x 1.93 cores, 3 x (8 - 674/1024) GiB.
    const have = allocatableAtMax([{ instanceTypes: ["m7g.xlarge", "m7g.large", "not-a-type"], maxSize: 3 }]);
    expect(have.cpu).toBeCloseTo(5.79, 10);
    expect(have.memoryGiB).toBeCloseTo(3 * (8 - 674 / 1024), 10);
  });

  // Ten m7g.large at most in each zone: 10 x 1.93 = 19.3 cores and 10 x (8 - 674/1024) = 73.41796875
  // GiB for pods per zone. Two zones, as the smallest network (network.availabilityZones >= 2).
  const tenLarge = [{ instanceTypes: ["m7g.large"], maxSize: 10 }];
  const app = (cpu: string, memory: string, maxReplicas: number) => ({
    api: { resources: { requests: { cpu, memory }, limits: { cpu, memory } }, autoscaling: { maxReplicas } },
  });
  const problem = (line: string) =>
    "cannot hold the apps at every HPA's maximum with 20% headroom in each of 2 zones (each app's pods " +
    `spread evenly over the zones, each zone's node groups at maxSize): ${line} (raise nodeGroups maxSize or lower maxReplicas)`;

  test("the headroom is kept free in each zone: 20 % of 19.3 cores leaves 15.44 for the apps", () => {
    // 24 replicas, 30 mid-rollout, 15 a zone x 1 core = 15 cores: fits. 25 (32 mid-rollout, 16 a zone): does not.
    expect(capacityProblem(app("1", "1Gi", 24), tenLarge, 20, 2)).toBeNull();
    expect(capacityProblem(app("1", "1Gi", 25), tenLarge, 20, 2)).toBe(problem("CPU 16.00 > 15.44 cores"));
    // Memory too: 16 x 4 GiB = 64 GiB against 80 % of 73.41796875 = 58.7 GiB.
    expect(capacityProblem(app("100m", "4Gi", 25), tenLarge, 20, 2)).toBe(problem("memory 64.0 > 58.7 GiB"));
  });

  test("short of both, it names both", () => {
    expect(capacityProblem(app("1", "4Gi", 25), tenLarge, 20, 2)).toBe(
      problem("CPU 16.00 > 15.44 cores, memory 64.0 > 58.7 GiB"),
    );
  });

  test("an exact fit fits: everything a zone's nodes offer, no headroom, is not too much", () => {
    // 16 replicas, 20 mid-rollout, 10 a zone: 10 x 1930m = 19.3 cores and 10 x 7518 MiB = 73.41796875 GiB.
    expect(capacityProblem(app("1930m", "7518Mi", 16), tenLarge, 0, 2)).toBeNull();
    expect(capacityProblem(app("1931m", "7518Mi", 16), tenLarge, 0, 2)).toMatch(/CPU 19\.31 > 19\.30 cores/);
    expect(capacityProblem(app("1930m", "7519Mi", 16), tenLarge, 0, 2)).toMatch(/memory 73\.4 > 73\.4 GiB/);
  });

  test("a zone holds each app's share rounded up, app by app: pods do not split", () => {
    // Two apps of 3 replicas, 4 mid-rollout each: in 3 zones one zone holds 2 of each (ceil(4/3)), 4
    // pods, not ceil(8/3) = 3.
    const two = {
      a: {
        resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } },
        autoscaling: { maxReplicas: 3 },
      },
      b: {
        resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } },
        autoscaling: { maxReplicas: 3 },
      },
    };
    expect(requestsAtMax(two, 3)).toEqual({ cpu: 4, memoryGiB: 4 });
    // Two m7g.large a zone (3.86 cores) cannot hold those 4 cores; three (5.79) can.
    expect(capacityProblem(two, [{ instanceTypes: ["m7g.large"], maxSize: 2 }], 0, 3)).toBe(
      "cannot hold the apps at every HPA's maximum with 0% headroom in each of 3 zones (each app's pods " +
        "spread evenly over the zones, each zone's node groups at maxSize): CPU 4.00 > 3.86 cores " +
        "(raise nodeGroups maxSize or lower maxReplicas)",
    );
    expect(capacityProblem(two, [{ instanceTypes: ["m7g.large"], maxSize: 3 }], 0, 3)).toBeNull();
  });
});

describe("EKS add-on versions (settings/catalog/addons.ts)", () => {
  test.each([
    ["v1.21.1-eksbuild.3", "v1.21.1-eksbuild.10", -1],
    ["v1.10.0-eksbuild.1", "v1.9.9-eksbuild.9", 1],
    ["v10.0.0-eksbuild.1", "v9.0.0-eksbuild.1", 1],
    ["v1.21.2-eksbuild.1", "v1.21.1-eksbuild.7", 1],
    ["v1.21.1-eksbuild.3", "v1.21.1-eksbuild.3", 0],
  ])("%s against %s: %p", (a, b, sign) => {
    expect(Math.sign(compareAddonVersions(a, b))).toBe(sign);
  });

  test.each(["1.21.1-eksbuild.3", "v1.21.1-eksbuild.3-rc", "v1.21-eksbuild.3", "xv1.21.1-eksbuild.3"])(
    "%s is refused, naming the form EKS uses",
    (version) => {
      expect(() => compareAddonVersions(version, "v1.21.1-eksbuild.3")).toThrow(
        new Error(`${version} is not an EKS add-on version (v<major>.<minor>.<patch>-eksbuild.<n>)`),
      );
    },
  );
});

describe("Cloudflare plans (settings/catalog/cloudflarePlans.ts)", () => {
  test("rules no plan can run are refused by name rather than priced on a plan", () => {
    // A day is the longest counting period the Rulesets API accepts (86400 s).
    expect(() =>
      cheapestPlanFor([{ periodSeconds: 172800, mitigationTimeoutSeconds: 60, byHost: false }]),
    ).toThrow(new Error("no Cloudflare plan runs these rate limiting rules"));
  });

  // Cloudflare's rate limiting rules by plan (developers.cloudflare.com › WAF › Rate limiting rules, the
  // features by plan): Free 1 rule, 10 s period and timeout, no Host field; Pro 2 rules, up to 60 s and a
  // 1 h timeout, Host field; Business 5 rules, 10 min, a day; Enterprise 100 (Advanced Rate Limiting).
  const rule = (periodSeconds: number, mitigationTimeoutSeconds: number, byHost: boolean) => ({
    periodSeconds,
    mitigationTimeoutSeconds,
    byHost,
  });
  test.each([
    ["one 10 s rule on any host", [rule(10, 10, false)], "free"],
    ["one 10 s rule matching the Host", [rule(10, 10, true)], "pro"],
    ["one 10 s rule blocking a minute", [rule(10, 60, false)], "pro"],
    ["two rules", [rule(10, 10, false), rule(10, 10, false)], "pro"],
    ["a 10-minute period beside a short one", [rule(10, 10, false), rule(600, 600, false)], "business"],
    [
      "three rules matching the Host",
      [rule(10, 10, true), rule(60, 60, true), rule(60, 60, true)],
      "business",
    ],
    ["six rules matching the Host", Array.from({ length: 6 }, () => rule(10, 10, true)), "enterprise"],
  ])("%s: %p", (_what, rules, plan) => {
    expect(cheapestPlanFor(rules)).toBe(plan);
  });

  test("the edge's two limits (10 s and 60 s windows, the Host field) need Pro; the WAF too", () => {
    expect(rateLimitPlan()).toBe("pro");
    const edge = (cloudflarePlan: CloudflarePlan, maxBodySizeMb: number) => ({
      cloudflarePlan,
      maxBodySizeMb,
      rateLimits: {},
    });
    expect(planProblems(edge("pro", 100))).toEqual([]);
    expect(planProblems(edge("enterprise", 500))).toEqual([]);
    expect(planProblems(edge("free", 100)).map((p) => p.path.join("."))).toEqual([
      "edge.cloudflarePlan",
      "edge.rateLimits",
    ]);
    // Pro and Business forward bodies up to 100 and 200 MB.
    expect(planProblems(edge("pro", 101))).toEqual([
      {
        path: ["edge", "maxBodySizeMb"],
        value: 101,
        message: 'must be <= 100: Cloudflare "pro" refuses larger request bodies',
      },
    ]);
    expect(planProblems(edge("business", 200))).toEqual([]);
  });
});

import { compareAddonVersions } from "../../settings/catalog/addons";
import { allocatableAtMax, requestsAtMax, surge } from "../../settings/catalog/capacity";
import { cheapestPlanFor } from "../../settings/catalog/cloudflarePlans";

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

  test.each(["1.21.1-eksbuild.3", "v1.21.1-eksbuild.3-rc", "v1.21-eksbuild.3"])(
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
});

import { subnetLayout, zonesOf } from "../../../components/network/layout";
import { cidrProblem } from "../../../settings/formats";

const toRange = (cidr: string) => {
  const [ip, prefix] = cidr.split("/");
  const start = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  return [start, start + 2 ** (32 - Number(prefix)) - 1];
};

describe("subnet layout", () => {
  test("a /16 across three zones: private /19s, public /22s, database /24s", () => {
    expect(subnetLayout("10.40.0.0/16", zonesOf("sa-east-1", 3))).toEqual([
      { zone: "sa-east-1a", private: "10.40.0.0/19", public: "10.40.96.0/22", database: "10.40.112.0/24" },
      { zone: "sa-east-1b", private: "10.40.32.0/19", public: "10.40.100.0/22", database: "10.40.113.0/24" },
      { zone: "sa-east-1c", private: "10.40.64.0/19", public: "10.40.104.0/22", database: "10.40.114.0/24" },
    ]);
  });

  test.each(["10.40.0.0/16", "10.41.0.0/17", "172.20.0.0/20"])(
    "%s: subnets are aligned, inside the VPC and disjoint",
    (vpc) => {
      const subnets = subnetLayout(vpc, zonesOf("sa-east-1", 3)).flatMap((z) => [
        z.private,
        z.public,
        z.database,
      ]);
      const [vpcStart, vpcEnd] = toRange(vpc);
      const ranges = subnets.map((s) => {
        expect(cidrProblem(s)).toBeNull();
        return toRange(s);
      });
      for (const [start, end] of ranges) expect(start >= vpcStart && end <= vpcEnd).toBe(true);
      const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThan(sorted[i - 1][1]);
    },
  );

  test("refuses blocks the layout cannot split", () => {
    expect(() => subnetLayout("10.0.0.0/22", zonesOf("sa-east-1", 3))).toThrow(/between \/16 and \/20/);
    expect(() => subnetLayout("10.0.0.0/16", zonesOf("sa-east-1", 4))).toThrow(/at most 3 zones/);
  });
});

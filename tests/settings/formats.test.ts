import {
  closest,
  cpuCores,
  cronProblem,
  cidrProblem,
  hostnameProblem,
  imageProblem,
  memoryBytes,
} from "../../settings/formats";

describe("value formats", () => {
  test("Kubernetes quantities convert the way the scheduler reads them", () => {
    expect([cpuCores("250m"), cpuCores("2"), cpuCores("0.5"), cpuCores("2 cores")]).toEqual([
      0.25,
      2,
      0.5,
      NaN,
    ]);
    expect(memoryBytes("512Mi")).toBe(512 * 2 ** 20);
    expect(memoryBytes("1G")).toBe(1e9);
    expect(memoryBytes("2GB")).toBeNaN();
    // A plain number is bytes (resource.Quantity without a suffix).
    expect(memoryBytes("1073741824")).toBe(2 ** 30);
    // Several digits and decimals: 12 cores, 1.5 cores as millicores, 1.25 and 1.5 GiB.
    expect([cpuCores("12"), cpuCores("1500m"), cpuCores("12.75")]).toEqual([12, 1.5, 12.75]);
    expect([memoryBytes("1.25Gi"), memoryBytes("1.5Gi")]).toEqual([1.25 * 2 ** 30, 1.5 * 2 ** 30]);
    // Spellings JavaScript's Number() would read but a stack file must not use: the whole value is judged.
    for (const odd of ["0x10", "1e3", " 2", "2 "]) expect(cpuCores(odd)).toBeNaN();
    for (const odd of ["0x10", "1e3Mi", "1Gi5"]) expect(memoryBytes(odd)).toBeNaN();
  });

  test.each([
    ["0 2 * * *", null],
    ["*/15 0-6 1,15 * 1-5", null],
    ["0 2 * *", /5 fields/],
    ["60 2 * * *", /minute field "60"/],
    ["0 2 32 * *", /day of month field "32"/],
    ["0 2 * 13 *", /month field "13"/],
    ["0 2 * * */0", /day of week/],
    ["0 2 * * 1-5/2", null],
    ["0 2 * * 8", /day of week field "8"/],
    ["0 2 * * mon", /day of week field "mon"/],
    // Fields split on any run of blanks, around them too, as the CronJob controller's parser does
    // (robfig/cron: strings.Fields).
    [" 0  2 * *\t* ", null],
    ["0 1-12 * * *", null],
    ["x5 2 * * *", /minute field "x5"/],
    ["0 2x * * *", /hour field "2x"/],
  ])("cron %s", (schedule, expected) => {
    const problem = cronProblem(schedule);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  test("CIDR blocks must be well formed and aligned", () => {
    expect(cidrProblem("10.40.0.0/16")).toBeNull();
    expect(cidrProblem("0.0.0.0/0")).toBeNull();
    expect(cidrProblem("10.40.1.0/16")).toMatch(/host bits/);
    expect(cidrProblem("300.1.1.0/24")).toMatch(/IPv4 CIDR/);
  });

  test("hostnames: lower case, at least two labels, no leading dash", () => {
    expect(hostnameProblem("api.healtflow.com.br")).toBeNull();
    expect(hostnameProblem("localhost")).not.toBeNull();
    expect(hostnameProblem("-api.example.com")).not.toBeNull();
  });

  test("images: staging/production need a tag other than latest, or a digest", () => {
    const digest = `ghcr.io/org/api@sha256:${"a".repeat(64)}`;
    expect(imageProblem("ghcr.io/org/api:1.4.2", true)).toBeNull();
    expect(imageProblem(digest, true)).toBeNull();
    expect(imageProblem("registry.local:5000/api:2.0", true)).toBeNull();
    expect(imageProblem("ghcr.io/org/api:latest", true)).toMatch(/latest/);
    expect(imageProblem("ghcr.io/org/api", true)).toMatch(/exact tag/);
    expect(imageProblem("ghcr.io/org/api:latest", false)).toBeNull();
    expect(imageProblem("Not An Image", false)).toMatch(/image reference/);
  });

  test("typo suggestions pick a close key and nothing for far ones", () => {
    expect(closest("replcas", ["replicas", "resources", "image"])).toBe("replicas");
    expect(closest("zzzz", ["replicas", "resources"])).toBeUndefined();
  });
});

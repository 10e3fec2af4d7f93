import * as fs from "fs";
import * as path from "path";
import { tableRows } from "./harness/markdown";
import { PROJECT_ROOT, readStackConfig } from "../tools/engine/stackConfig";

// docs/upgrades.md names today's pins of the Kubernetes minor: the table must say what the stack
// files hold, and its pins must be of one minor (the settings refuse a stack whose pins are not).

const doc = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "upgrades.md"), "utf8");
const section = doc.slice(doc.indexOf("## Today's pins"), doc.indexOf("## Patching the nodes"));
const pins = tableRows(section)
  .slice(2)
  .map(([pin, key, today]) => ({ pin, key: key.replace(/`/g, ""), today: today.replace(/`/g, "") }));

/** The values at a key such as `healthflow:cluster.nodeGroups[].releaseVersion` (every element for `[]`). */
function valuesAt(stack: string, key: string): unknown[] {
  const [namespace, ...rest] = key.split(".");
  let values: unknown[] = [JSON.parse(readStackConfig(stack).config[namespace])];
  for (const part of rest) {
    const each = part.endsWith("[]");
    const name = each ? part.slice(0, -2) : part;
    values = values.flatMap((v) => {
      const next = (v as Record<string, unknown>)[name];
      return each ? (next as unknown[]) : [next];
    });
  }
  return values;
}

describe("docs/upgrades.md: today's pins", () => {
  test("names the four pins of a Kubernetes minor", () => {
    expect(pins.map((p) => p.pin)).toEqual([
      "Kubernetes",
      "node AMI release",
      "kube-proxy",
      "Cluster Autoscaler",
    ]);
  });

  test.each(["staging", "production"])("are what Pulumi.%s.yaml holds", (stack) => {
    for (const { key, today } of pins) {
      const values = valuesAt(stack, key);
      expect(values.length).toBeGreaterThan(0);
      expect([key, [...new Set(values)]]).toEqual([key, [today]]);
    }
  });

  test("are of one minor, the Kubernetes version's", () => {
    const minor = pins.find((p) => p.pin === "Kubernetes")!.today;
    expect(minor).toMatch(/^1\.\d+$/);
    const of = (pin: string) => pins.find((p) => p.pin === pin)!.today;
    expect(of("node AMI release").startsWith(`${minor}.`)).toBe(true);
    expect(of("kube-proxy").startsWith(`v${minor}.`)).toBe(true);
    expect(of("Cluster Autoscaler").startsWith(`v${minor}.`)).toBe(true);
  });

  test("the check bites: a key path that does not lead to the value finds nothing", () => {
    expect(valuesAt("production", "healthflow:cluster.nodeGroups[].releaseVersion")).not.toContain(undefined);
    expect(valuesAt("production", "healthflow:cluster.nodeGroups[].release")).toEqual([undefined]);
  });
});

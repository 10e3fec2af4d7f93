import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { plannedStack } from "../harness/plans";
import { readManifests, validateKubernetesObject } from "../harness/kubernetes";

const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-manifests-"));
afterAll(() => fs.rmSync(outRoot, { recursive: true, force: true }));

describe("rendered Kubernetes manifests", () => {
  test.each(["staging", "production"])("%s: every object validates with kubernetes-models", async (stack) => {
    const result = plannedStack(stack);
    const manifests = readManifests(result.dir!);
    expect(manifests.map((m) => m.file)).toContain("cronjob-healthflow-postgres-backup.yaml");
    for (const { file, object } of manifests) {
      expect(() => validateKubernetesObject(object)).not.toThrow();
      expect(file).toMatch(/\.yaml$/);
    }
  });

  test("the validator is real: a CronJob without a schedule is refused", () => {
    expect(() =>
      validateKubernetesObject({
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "x" },
        spec: { jobTemplate: {} },
      } as never),
    ).toThrow(/schedule/);
  });

  test("dev renders no Kubernetes object", async () => {
    const result = plannedStack("dev");
    expect(readManifests(result.dir!)).toEqual([]);
  });
});

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
    // The objects inside ConfigGroups too (the provider creates them; the mocks never see them).
    expect(manifests.map((m) => m.file)).toEqual(
      expect.arrayContaining([
        "clusterissuer-letsencrypt-prod.yaml",
        "clusterissuer-letsencrypt-staging.yaml",
      ]),
    );
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

  test("the custom resources' formats are checked as the API server does: a caBundle that is not base64 is refused", () => {
    const issuer = readManifests(plannedStack("production").dir!).find(
      (m) => m.file === "clusterissuer-letsencrypt-prod.yaml",
    )!.object as { apiVersion: string; kind: string; spec: { acme: Record<string, unknown> } };
    const withBundle = (caBundle: string) => ({
      ...issuer,
      spec: { acme: { ...issuer.spec.acme, caBundle } },
    });
    expect(() => validateKubernetesObject(withBundle(Buffer.from("a CA").toString("base64")))).not.toThrow();
    expect(() => validateKubernetesObject(withBundle("-----BEGIN CERTIFICATE-----"))).toThrow(
      /must match format \\"byte\\"/,
    );
  });

  test("the custom resources' schemas are real: a ClusterIssuer with a misplaced field is refused", () => {
    const issuer = readManifests(plannedStack("production").dir!).find(
      (m) => m.file === "clusterissuer-letsencrypt-prod.yaml",
    )!.object as { apiVersion: string; kind: string; spec: { acme: Record<string, unknown> } };
    expect(() => validateKubernetesObject(issuer)).not.toThrow();
    const misplaced = { ...issuer, spec: { acme: { ...issuer.spec.acme, cnameStrategy: "Follow" } } };
    expect(() => validateKubernetesObject(misplaced)).toThrow(/additionalProperties/);
  });

  test("dev renders no Kubernetes object", async () => {
    const result = plannedStack("dev");
    expect(readManifests(result.dir!)).toEqual([]);
  });
});

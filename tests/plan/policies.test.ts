import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planStack } from "../harness/programs";
import { plannedStack } from "../harness/plans";
import { readStackConfig, stackNames } from "../../tools/engine/stackConfig";

// The policy pack gates the offline plan exactly as it gates `pulumi preview --policy-pack`.

const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-policy-plan-"));
afterAll(() => fs.rmSync(outRoot, { recursive: true, force: true }));

describe("the policy gate of the offline plan", () => {
  test.each(stackNames())("%s: every planned resource passes every mandatory rule", async (stack) => {
    const result = plannedStack(stack);
    expect(result.output).toMatch(
      /CrossGuard, offline:\n\d+ policies on \d+ resources with policies\/config\/\w+\.json: 0 mandatory/,
    );
    expect(result.exitCode).toBe(0);
  });

  test("a stack file that opens the cluster's API to the internet fails the production plan", async () => {
    const cluster = JSON.parse(readStackConfig("production").config["healthflow:cluster"]);
    const result = await planStack("production", {
      outRoot,
      overrides: { "healthflow:cluster": { ...cluster, publicAccessCidrs: ["0.0.0.0/0"] } },
    });
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(/\[mandatory\]\s+aws-eks-cluster-public-endpoint-restricted/);
    expect(result.output).toMatch(/1 mandatory/);
  });

  test("a memory limit above the production maximum (8Gi) fails the plan on the resource-limit rule", async () => {
    const apps = JSON.parse(readStackConfig("production").config["healthflow:apps"]);
    apps.api.resources.limits.memory = "16Gi";
    const result = await planStack("production", { outRoot, overrides: { "healthflow:apps": apps } });
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(
      /\[mandatory\]\s+k8s-container-resource-limits-bounded\s+\(kubernetes:apps\/v1:Deployment: api\)/,
    );
  });

  test("the same change in staging is refused too", async () => {
    const cluster = JSON.parse(readStackConfig("staging").config["healthflow:cluster"]);
    const staging = await planStack("staging", {
      outRoot,
      overrides: { "healthflow:cluster": { ...cluster, publicAccessCidrs: ["0.0.0.0/0", "203.0.113.0/24"] } },
    });
    expect(staging.exitCode).toBe(1);
  });
});

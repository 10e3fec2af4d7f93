import { hpaReplicaBounds } from "../../../policies/kubernetes/hpa-replica-bounds";
import { expectLevelFromConfig, hpa, runRule } from "../fixtures";

describe("k8s-hpa-replica-bounds", () => {
  it("accepts the guide's api HPA (2..10) under the production bounds", async () => {
    const { violations } = await runRule(
      hpaReplicaBounds,
      [hpa("api", { name: "api" }, { min: 2, max: 10 })],
      {
        minReplicasFloor: 2,
        maxReplicasCeiling: 20,
      },
    );
    expect(violations).toEqual([]);
  });

  it("refuses min above max, a floor breach and a ceiling breach", async () => {
    const { messages } = await runRule(hpaReplicaBounds, [hpa("api", { name: "api" }, { min: 30, max: 25 })]);
    expect(messages).toEqual([
      "Make spec.minReplicas (30) of HorizontalPodAutoscaler healthflow/api no larger than spec.maxReplicas (25).",
      "Lower spec.maxReplicas of HorizontalPodAutoscaler healthflow/api from 25 to at most 20.",
    ]);
  });

  it("reads an absent minReplicas as the API server's default of 1", async () => {
    const { messages } = await runRule(hpaReplicaBounds, [hpa("api", { name: "api" }, { max: 4 })]);
    expect(messages).toEqual([
      "Raise spec.minReplicas of HorizontalPodAutoscaler healthflow/api from 1 to at least 2.",
    ]);
  });

  it("lets the stack's config decide the floor and the ceiling", async () => {
    const resources = [hpa("api", { name: "api" }, { min: 1, max: 5 })];
    expect(
      (await runRule(hpaReplicaBounds, resources, { minReplicasFloor: 1, maxReplicasCeiling: 5 })).violations,
    ).toEqual([]);
    expect(
      (await runRule(hpaReplicaBounds, resources, { minReplicasFloor: 2, maxReplicasCeiling: 4 })).messages,
    ).toEqual([
      "Raise spec.minReplicas of HorizontalPodAutoscaler healthflow/api from 1 to at least 2.",
      "Lower spec.maxReplicas of HorizontalPodAutoscaler healthflow/api from 5 to at most 4.",
    ]);
  });

  it("leaves HPAs out of its scope alone (kube-system by default, exemptions by config)", async () => {
    const outOfBounds = { min: 30, max: 25 };
    const system = hpa("coredns", { name: "coredns" }, outOfBounds, "kube-system");
    expect((await runRule(hpaReplicaBounds, [system])).violations).toEqual([]);
    const exempt = hpa("api", { name: "api" }, outOfBounds);
    expect(
      (await runRule(hpaReplicaBounds, [exempt], { exemptions: ["healthflow/api"] })).violations,
    ).toEqual([]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(hpaReplicaBounds, [hpa("api", { name: "api" }, { min: 1, max: 3 })]);
  });
});

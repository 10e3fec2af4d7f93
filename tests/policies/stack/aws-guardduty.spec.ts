import * as aws from "@pulumi/aws";
import { guarddutyDetectorProtections } from "../../../policies/stack/aws/guardduty/detector-protections";
import { expectLevelFromConfig, resource, rootStack, runRule, UNKNOWN } from "../fixtures";

const cluster = resource(aws.eks.Cluster, "eks", { name: "healthflow" });
const feature = (name: string, status = "ENABLED") =>
  resource(aws.guardduty.DetectorFeature, name.toLowerCase(), { detectorId: UNKNOWN, name, status });
const detector = (enable = true) => resource(aws.guardduty.Detector, "guardduty", { enable });

describe("aws-guardduty-detector-protections", () => {
  it("accepts a cluster watched by its own detector, or by features of the account's", async () => {
    const features = [feature("EKS_AUDIT_LOGS"), feature("RUNTIME_MONITORING"), feature("S3_DATA_EVENTS")];
    expect(
      (await runRule(guarddutyDetectorProtections, [rootStack, cluster, detector(), ...features])).violations,
    ).toEqual([]);
    expect(
      (await runRule(guarddutyDetectorProtections, [rootStack, cluster, ...features])).violations,
    ).toEqual([]);
  });

  it("refuses a cluster nothing watches, and says what to declare", async () => {
    const { messages } = await runRule(guarddutyDetectorProtections, [rootStack, cluster]);
    expect(messages).toEqual([
      "Declare GuardDuty for the cluster: an aws.guardduty.Detector, or the features of the account's detector.",
    ]);
  });

  it("refuses a detector without the cluster's protections, or suspended", async () => {
    const { messages } = await runRule(guarddutyDetectorProtections, [
      rootStack,
      cluster,
      detector(false),
      feature("EKS_AUDIT_LOGS"),
      feature("RUNTIME_MONITORING", "DISABLED"),
    ]);
    expect(messages).toEqual([
      "Enable the GuardDuty detector (enable: true): a suspended detector analyzes nothing.",
      "Enable GuardDuty's RUNTIME_MONITORING (aws.guardduty.DetectorFeature, status ENABLED) for the cluster.",
    ]);
  });

  it("asks nothing of a stack without a cluster (dev)", async () => {
    expect((await runRule(guarddutyDetectorProtections, [rootStack])).violations).toEqual([]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(guarddutyDetectorProtections, [rootStack, cluster]);
  });
});

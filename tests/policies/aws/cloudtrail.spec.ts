import * as aws from "@pulumi/aws";
import { cloudtrailTrailIntegrity } from "../../../policies/aws/cloudtrail/trail-integrity";
import { expectLevelFromConfig, resource, runRule, UNKNOWN } from "../fixtures";

/** The production trail: every region, validated, under a customer key. */
const trail = (overrides: Record<string, unknown> = {}) =>
  resource(aws.cloudtrail.Trail, "trail", {
    name: "healthflow-production-trail",
    s3BucketName: "healthflow-production-trail-111122223333",
    isMultiRegionTrail: true,
    includeGlobalServiceEvents: true,
    enableLogFileValidation: true,
    kmsKeyId: UNKNOWN,
    ...overrides,
  });

describe("aws-cloudtrail-trail-integrity", () => {
  it("accepts a multi-region, validated, encrypted trail (its key unknown until created)", async () => {
    expect((await runRule(cloudtrailTrailIntegrity, [trail()])).violations).toEqual([]);
    // includeGlobalServiceEvents left to the provider's default (true).
    expect(
      (await runRule(cloudtrailTrailIntegrity, [trail({ includeGlobalServiceEvents: undefined })]))
        .violations,
    ).toEqual([]);
  });

  it("names every missing guarantee in one message", async () => {
    const { messages } = await runRule(cloudtrailTrailIntegrity, [
      trail({
        isMultiRegionTrail: false,
        includeGlobalServiceEvents: false,
        enableLogFileValidation: undefined,
        kmsKeyId: undefined,
      }),
    ]);
    expect(messages).toEqual([
      "Set isMultiRegionTrail: true, includeGlobalServiceEvents: true, enableLogFileValidation: true, kmsKeyId (a customer KMS key) on trail 'healthflow-production-trail'.",
    ]);
  });

  it("refuses a trail whose files could be changed unnoticed", async () => {
    const { messages } = await runRule(cloudtrailTrailIntegrity, [trail({ enableLogFileValidation: false })]);
    expect(messages).toEqual(["Set enableLogFileValidation: true on trail 'healthflow-production-trail'."]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(cloudtrailTrailIntegrity, [trail({ kmsKeyId: undefined })]);
  });
});

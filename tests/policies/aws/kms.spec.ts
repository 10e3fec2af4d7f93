import * as aws from "@pulumi/aws";
import { kmsKeyRotationEnabled } from "../../../policies/aws/kms/key-rotation-enabled";
import { expectLevelFromConfig, resource, runRule } from "../fixtures";

const key = (props: Record<string, unknown>, name = "data") =>
  resource(aws.kms.Key, name, { description: "HealthFlow data at rest", ...props });

describe("aws-kms-key-rotation-enabled", () => {
  it("accepts a symmetric key with rotation", async () => {
    expect((await runRule(kmsKeyRotationEnabled, [key({ enableKeyRotation: true })])).violations).toEqual([]);
  });

  it("refuses a symmetric key without rotation", async () => {
    const { messages } = await runRule(kmsKeyRotationEnabled, [key({})]);
    expect(messages).toEqual(["Set enableKeyRotation: true on KMS key 'data' (HealthFlow data at rest)."]);
    const undescribed = await runRule(kmsKeyRotationEnabled, [key({ description: undefined })]);
    expect(undescribed.messages).toEqual(["Set enableKeyRotation: true on KMS key 'data'."]);
  });

  it("does not ask asymmetric or HMAC keys, which AWS cannot rotate", async () => {
    const resources = [
      key({ customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" }, "signing"),
      key({ customerMasterKeySpec: "HMAC_256", keyUsage: "GENERATE_VERIFY_MAC" }, "mac"),
    ];
    expect((await runRule(kmsKeyRotationEnabled, resources)).violations).toEqual([]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(kmsKeyRotationEnabled, [key({ enableKeyRotation: false })]);
  });
});

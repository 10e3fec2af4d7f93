/** AWS Foundational Security Best Practices (Security Hub) controls, in @pulumi/policy's `framework` shape. */
import type { PolicyComplianceFramework } from "@pulumi/policy";

export function awsFoundationalControl(
  service: "s3" | "rds" | "elasticache" | "eks" | "kms" | "cloudtrail",
  control: string,
): PolicyComplianceFramework {
  return {
    name: "AWS Foundational Security Best Practices",
    version: "1.0.0",
    reference: `https://docs.aws.amazon.com/securityhub/latest/userguide/${service}-controls.html`,
    specification: control,
  };
}

/** Compliance frameworks the Kubernetes rules serve, in @pulumi/policy's `framework` shape. */
import type { PolicyComplianceFramework } from "@pulumi/policy";

const podSecurityStandardsUrl = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

/** A control of the Kubernetes Pod Security Standards (the profile the API server's admission enforces). */
export function podSecurityStandard(
  profile: "baseline" | "restricted",
  control: string,
): PolicyComplianceFramework {
  return {
    name: "Kubernetes Pod Security Standards",
    version: profile,
    reference: podSecurityStandardsUrl,
    specification: control,
  };
}

/**
 * CrossGuard entry point, run by the Pulumi CLI (`pulumi preview --policy-pack policies`). Constructing the
 * PolicyPack starts the analyzer's gRPC server, so nothing else may import this file: tests and the
 * offline plan use rules.ts and offline.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies, policyPackDescription, policyPackEnforcementLevel, policyPackName } from "./rules";

new PolicyPack(policyPackName, {
  policies,
  enforcementLevel: policyPackEnforcementLevel,
  description: policyPackDescription,
  displayName: "HealthFlow guardrails",
  tags: ["kubernetes", "aws", "cloudflare", "lgpd"],
});

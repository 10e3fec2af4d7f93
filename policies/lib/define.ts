/**
 * The shape every HealthFlow rule has: @pulumi/policy's own fields (name, description, severity,
 * enforcementLevel, framework, remediationSteps, tags, configSchema) plus `mirrors`, the ids of the
 * external checks the rule reproduces. The ids also go into `tags` ("checkov:CKV_K8S_11"), because tags
 * are what the CLI and Pulumi Cloud show; `mirrors` keeps them typed for the README and the tests.
 */
import type {
  EnforcementLevel,
  ResourceValidation,
  ResourceValidationPolicy,
  Severity,
  StackValidation,
  StackValidationPolicy,
} from "@pulumi/policy";

export interface MirroredChecks {
  /** Checkov check ids (https://www.checkov.io), e.g. CKV_K8S_11. */
  checkov?: readonly string[];
  /** kube-score check ids, e.g. container-resources. */
  kubeScore?: readonly string[];
  /** Fairwinds Polaris check ids, e.g. cpuLimitsMissing. */
  polaris?: readonly string[];
  /** AWS Security Hub / Foundational Security Best Practices control ids, e.g. RDS.3. */
  awsSecurityHub?: readonly string[];
  /** Anything else the rule reproduces (CVE ids, Gatekeeper library templates, vendor guidance). */
  other?: readonly string[];
}

interface HealthflowPolicyFields {
  severity: Severity;
  /** The level used when the stack's policy config says nothing about this rule. */
  enforcementLevel: EnforcementLevel;
  remediationSteps: string;
  mirrors: MirroredChecks;
  tags: string[];
}

export type HealthflowResourcePolicy = ResourceValidationPolicy &
  HealthflowPolicyFields & { validateResource: ResourceValidation };
export type HealthflowStackPolicy = StackValidationPolicy & HealthflowPolicyFields;
export type HealthflowPolicy = HealthflowResourcePolicy | HealthflowStackPolicy;

type Definition<P extends HealthflowPolicy> = Omit<P, "tags"> & { tags?: string[] };

const mirrorTagPrefixes: Record<keyof MirroredChecks, string> = {
  checkov: "checkov",
  kubeScore: "kube-score",
  polaris: "polaris",
  awsSecurityHub: "aws-securityhub",
  other: "see",
};

export function mirrorTags(mirrors: MirroredChecks): string[] {
  return (Object.keys(mirrorTagPrefixes) as (keyof MirroredChecks)[]).flatMap((tool) =>
    (mirrors[tool] ?? []).map((id) => `${mirrorTagPrefixes[tool]}:${id}`),
  );
}

function withTags<P extends HealthflowPolicy>(definition: Definition<P>): P {
  return { ...definition, tags: [...(definition.tags ?? []), ...mirrorTags(definition.mirrors)] } as P;
}

export function resourcePolicy(definition: Definition<HealthflowResourcePolicy>): HealthflowResourcePolicy {
  return withTags(definition);
}

export function stackPolicy(
  definition: Definition<HealthflowStackPolicy> & { validateStack: StackValidation },
): HealthflowStackPolicy {
  return withTags(definition);
}

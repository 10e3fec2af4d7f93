/**
 * Fixture builders for the policy tests: resources as the offline plan hands them to the runner (wire
 * format, type tokens taken from the SDK classes), one compliant fixture per resource kind that a test
 * bends into a violating one, and a helper that runs a single rule the way the CLI would.
 */
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as k8s from "@pulumi/kubernetes";
import type { EnforcementLevel, PolicyPackConfig } from "@pulumi/policy";
import type { HealthflowPolicy } from "../../policies/lib/define";
import { typeTokenOf } from "../../policies/lib/policy-runtime";
import { runPolicies, type OfflineResource } from "../../policies/offline";

/** How the engine marshals any value unknown during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A secret in the engine's wire format. */
export function secret(value: unknown): Record<string, unknown> {
  return { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value };
}

type ResourceClass = abstract new (...args: never[]) => unknown;

export function urnOf(type: string, name: string, stack = "production"): string {
  return `urn:pulumi:${stack}::healthflow-infra::${type}::${name}`;
}

export const rootStack: OfflineResource = {
  urn: urnOf("pulumi:pulumi:Stack", "healthflow-infra-production"),
  type: "pulumi:pulumi:Stack",
  name: "healthflow-infra-production",
  props: {},
};

/** A resource of the SDK class `resourceClass` with the given inputs. */
export function resource(
  resourceClass: ResourceClass,
  name: string,
  props: Record<string, unknown>,
  extra: Partial<OfflineResource> = {},
): OfflineResource {
  const type = typeTokenOf(resourceClass);
  return { urn: urnOf(type, name), type, name, props, ...extra };
}

/** Makes `dependent`'s `property` (and its dependencies) point at `sources`, as the engine records them. */
export function dependsOn(
  dependent: OfflineResource,
  property: string,
  ...sources: OfflineResource[]
): OfflineResource {
  const urns = sources.map((source) => source.urn);
  return {
    ...dependent,
    dependencies: [...(dependent.dependencies ?? []), ...urns],
    propertyDependencies: { ...dependent.propertyDependencies, [property]: urns },
  };
}

// ---------------------------------------------------------------- Kubernetes

export type Container = k8s.types.input.core.v1.Container;
export type PodSpec = k8s.types.input.core.v1.PodSpec;

/** The guide's api container, hardened: what every workload rule accepts. */
export function compliantContainer(overrides: Partial<Container> = {}): Container {
  return {
    name: "api",
    image: "ghcr.io/healthflow/api:1.4.2",
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "2000m", memory: "2Gi" } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 10001,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    readinessProbe: { httpGet: { path: "/health", port: 3001 } },
    livenessProbe: { httpGet: { path: "/health", port: 3001 } },
    ...overrides,
  };
}

export function compliantPodSpec(overrides: Partial<PodSpec> = {}): PodSpec {
  return { containers: [compliantContainer()], ...overrides };
}

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob" | "Pod";

export const workloadClasses: Record<WorkloadKind, ResourceClass> = {
  Deployment: k8s.apps.v1.Deployment,
  StatefulSet: k8s.apps.v1.StatefulSet,
  DaemonSet: k8s.apps.v1.DaemonSet,
  Job: k8s.batch.v1.Job,
  CronJob: k8s.batch.v1.CronJob,
  Pod: k8s.core.v1.Pod,
};

export interface WorkloadOptions {
  namespace?: string;
  labels?: Record<string, string>;
  replicas?: number;
  /** metadata.name; by default the resource name. `null` leaves it to the provider's auto-naming. */
  metadataName?: string | null;
}

/** A workload of `kind` whose pod spec is `podSpec`, nested where that kind keeps it. */
export function workload(
  kind: WorkloadKind,
  name: string,
  podSpec: PodSpec = compliantPodSpec(),
  options: WorkloadOptions = {},
): OfflineResource {
  const labels = options.labels ?? { app: name };
  const metadata = {
    ...(options.metadataName === null ? {} : { name: options.metadataName ?? name }),
    namespace: options.namespace ?? "healthflow",
  };
  const template = { metadata: { labels }, spec: podSpec };
  const specs: Record<WorkloadKind, unknown> = {
    Deployment: { replicas: options.replicas, selector: { matchLabels: labels }, template },
    StatefulSet: {
      replicas: options.replicas,
      serviceName: name,
      selector: { matchLabels: labels },
      template,
    },
    DaemonSet: { selector: { matchLabels: labels }, template },
    Job: { template: { ...template, spec: { restartPolicy: "Never", ...podSpec } } },
    CronJob: { schedule: "0 3 * * *", jobTemplate: { spec: { template } } },
    Pod: podSpec,
  };
  return resource(workloadClasses[kind], name, { metadata: { ...metadata, labels }, spec: specs[kind] });
}

export function deployment(name: string, podSpec?: PodSpec, options?: WorkloadOptions): OfflineResource {
  return workload("Deployment", name, podSpec, options);
}

export function hpa(
  name: string,
  target: { kind?: string; name: string },
  replicas: { min?: number; max: number },
  namespace = "healthflow",
): OfflineResource {
  return resource(k8s.autoscaling.v2.HorizontalPodAutoscaler, name, {
    metadata: { name, namespace },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: target.kind ?? "Deployment", name: target.name },
      minReplicas: replicas.min,
      maxReplicas: replicas.max,
    },
  });
}

export function pdb(
  name: string,
  matchLabels: Record<string, string>,
  budget: { minAvailable?: number | string; maxUnavailable?: number | string },
  namespace = "healthflow",
): OfflineResource {
  return resource(k8s.policy.v1.PodDisruptionBudget, name, {
    metadata: { name, namespace },
    spec: { selector: { matchLabels }, ...budget },
  });
}

// ---------------------------------------------------------------- AWS

export function bucket(name: string, props: Record<string, unknown> = {}): OfflineResource {
  return resource(aws.s3.Bucket, name, { bucket: name, ...props });
}

/** A bucket settings resource whose `bucket` input is the (unknown) id of `target`, as in a real preview. */
export function bucketSetting(
  resourceClass: ResourceClass,
  name: string,
  target: OfflineResource,
  props: Record<string, unknown>,
): OfflineResource {
  return dependsOn(resource(resourceClass, name, { bucket: UNKNOWN, ...props }), "bucket", target);
}

/** Everything the S3 stack rules ask of a bucket, attached through property dependencies. */
export function compliantBucket(name: string, bucketProps: Record<string, unknown> = {}): OfflineResource[] {
  const target = bucket(name, bucketProps);
  return [
    target,
    bucketSetting(aws.s3.BucketPublicAccessBlock, `${name}-public-access`, target, {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }),
    bucketSetting(aws.s3.BucketServerSideEncryptionConfiguration, `${name}-encryption`, target, {
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: UNKNOWN },
          bucketKeyEnabled: true,
        },
      ],
    }),
    bucketSetting(aws.s3.BucketVersioning, `${name}-versioning`, target, {
      versioningConfiguration: { status: "Enabled" },
    }),
    bucketSetting(aws.s3.BucketPolicy, `${name}-policy`, target, {
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    }),
  ];
}

/** The backup bucket: compliant, Object Lock on with 30 days COMPLIANCE retention, and a lifecycle rule. */
export function compliantBackupBucket(name = "healthflow-backups"): OfflineResource[] {
  const resources = compliantBucket(name, { objectLockEnabled: true, tags: { purpose: "backups" } });
  const target = resources[0];
  return [
    ...resources,
    bucketSetting(aws.s3.BucketObjectLockConfiguration, `${name}-lock`, target, {
      rule: { defaultRetention: { mode: "COMPLIANCE", days: 30 } },
    }),
    bucketSetting(aws.s3.BucketLifecycleConfiguration, `${name}-lifecycle`, target, {
      rules: [
        { id: "expire-old-versions", status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 90 } },
      ],
    }),
  ];
}

// ---------------------------------------------------------------- Cloudflare

export const CLOUDFLARE_MANAGED_RULESET = "efb7b8c949ac4650a09736fc376e9aee";
/** The Cloudflare OWASP Core Ruleset (the same id in every account). */
export const OWASP_CORE_RULESET = "4814384a9e5d4991b9815dcfc25d2f1f";

export function zone(name = "healthflow-zone", domain = "healthflow.com.br"): OfflineResource {
  return resource(cloudflare.Zone, name, { name: domain, account: { id: "account-id" } });
}

/** A zone-scoped resource whose zoneId is the (unknown) id of `zoneResource`, or a literal zone id. */
export function onZone(
  resourceClass: ResourceClass,
  name: string,
  zoneRef: OfflineResource | string,
  props: Record<string, unknown>,
): OfflineResource {
  if (typeof zoneRef === "string") {
    return resource(resourceClass, name, { zoneId: zoneRef, ...props });
  }
  return dependsOn(resource(resourceClass, name, { zoneId: UNKNOWN, ...props }), "zoneId", zoneRef);
}

export function zoneSetting(
  name: string,
  zoneRef: OfflineResource | string,
  settingId: string,
  value: unknown,
) {
  return onZone(cloudflare.ZoneSetting, name, zoneRef, { settingId, value });
}

/** A managed-phase entry point executing `rulesetIds` on every request (both WAF rulesets by default). */
export function managedWaf(
  name: string,
  zoneRef: OfflineResource | string,
  rulesetIds: string[] = [CLOUDFLARE_MANAGED_RULESET, OWASP_CORE_RULESET],
) {
  return onZone(cloudflare.Ruleset, name, zoneRef, {
    kind: "zone",
    name: "managed WAF",
    phase: "http_request_firewall_managed",
    rules: rulesetIds.map((id) => ({ action: "execute", expression: "true", actionParameters: { id } })),
  });
}

/** A zone with the three security settings at their required values and the managed WAF. */
export function compliantZone(zoneRef: OfflineResource | string = zone(), prefix = ""): OfflineResource[] {
  return [
    ...(typeof zoneRef === "string" ? [] : [zoneRef]),
    zoneSetting(`${prefix}ssl`, zoneRef, "ssl", "strict"),
    zoneSetting(`${prefix}min-tls`, zoneRef, "min_tls_version", "1.2"),
    zoneSetting(`${prefix}always-https`, zoneRef, "always_use_https", "on"),
    managedWaf(`${prefix}waf`, zoneRef),
  ];
}

// ---------------------------------------------------------------- running rules

export interface RuleRun {
  violations: Awaited<ReturnType<typeof runPolicies>>["violations"];
  notEvaluated: Awaited<ReturnType<typeof runPolicies>>["notEvaluated"];
  /** The rule's own sentences (the analyzer prefixes each with the policy description). */
  messages: string[];
}

/**
 * Runs one rule alone (every other policy disabled through `all`), mandatory unless the given config
 * says otherwise; `config` is the rule's entry in --policy-pack-config format.
 */
export async function runRule(
  rule: HealthflowPolicy,
  resources: OfflineResource[],
  config: Record<string, unknown> | EnforcementLevel = {},
): Promise<RuleRun> {
  const entry = typeof config === "string" ? config : { enforcementLevel: "mandatory", ...config };
  const packConfig = { all: "disabled", [rule.name]: entry } as PolicyPackConfig;
  const result = await runPolicies([rootStack, ...resources], packConfig);
  const own = result.violations.filter((v) => v.policyName === rule.name);
  return {
    violations: own,
    notEvaluated: result.notEvaluated,
    messages: own.map((v) => v.message.split("\n").slice(1).join("\n")),
  };
}

/** Asserts the config's enforcement level reaches the violations: advisory stays advisory, disabled is silent. */
export async function expectLevelFromConfig(
  rule: HealthflowPolicy,
  violating: OfflineResource[],
): Promise<void> {
  const advisory = await runRule(rule, violating, { enforcementLevel: "advisory" });
  expect(advisory.violations.length).toBeGreaterThan(0);
  expect(advisory.violations.every((v) => v.enforcementLevel === "advisory")).toBe(true);
  const disabled = await runRule(rule, violating, "disabled");
  expect(disabled.violations).toEqual([]);
}

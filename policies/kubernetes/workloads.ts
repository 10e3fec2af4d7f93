/**
 * What the workload rules share: recognising the six pod-owning kinds, finding their pod spec, naming them
 * the way `kubectl` would, and the scope knobs (excluded namespaces, exemptions) every workload rule takes,
 * so that a third-party chart's workloads can be exempted per stack without weakening the rule for ours.
 */
import * as k8s from "@pulumi/kubernetes";
import type { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { readConfig, reasonsSchema, stringList } from "../lib/config";
import { globMatches } from "../lib/glob";
import { tryKnown } from "../lib/known";

export type PodSpec = Unwrap<k8s.types.input.core.v1.PodSpec>;
export type Container = Unwrap<k8s.types.input.core.v1.Container>;
type ObjectMeta = Unwrap<k8s.types.input.meta.v1.ObjectMeta>;

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob" | "Pod";

/** Workloads that run until replaced (and so need probes), as opposed to run-to-completion Jobs. */
export const longRunningKinds: readonly WorkloadKind[] = ["Deployment", "StatefulSet", "DaemonSet", "Pod"];

export interface Workload {
  kind: WorkloadKind;
  namespace: string;
  /** metadata.name, or the Pulumi resource name when the provider will generate the name. */
  name: string;
  podSpec: PodSpec;
}

export interface KubernetesScope {
  excludedNamespaces: string[];
  exemptions: string[];
}

export const defaultKubernetesScope: KubernetesScope = {
  excludedNamespaces: ["kube-system", "kube-public", "kube-node-lease"],
  exemptions: [],
};

export const kubernetesScopeSchema = {
  excludedNamespaces: stringList(
    "Namespaces this rule ignores besides kube-system, kube-public and kube-node-lease, which it always " +
      "ignores (cluster add-ons managed by their vendors): a list here adds to those, never replaces them.",
    defaultKubernetesScope.excludedNamespaces,
  ),
  exemptions: stringList(
    "Objects this rule ignores, as 'namespace/name' patterns where * matches any run of characters.",
    defaultKubernetesScope.exemptions,
  ),
  ...reasonsSchema,
};

/**
 * A rule's config with its scope: what the policy config sets over the rule's defaults, except
 * `excludedNamespaces`, which adds to the system namespaces instead of replacing them. A stack that
 * excludes "monitoring" must not, by that alone, start checking kube-system (whose pods AWS owns).
 */
export function readScopedConfig<C extends KubernetesScope>(
  args: { getConfig<U extends object>(): U },
  defaults: C,
): C {
  const config = readConfig(args, defaults);
  const excludedNamespaces = [
    ...new Set([...defaultKubernetesScope.excludedNamespaces, ...config.excludedNamespaces]),
  ];
  return { ...config, excludedNamespaces };
}

interface FoundWorkload {
  kind: WorkloadKind;
  metadata: ObjectMeta | undefined;
  podSpec: PodSpec | undefined;
}

function findWorkload(args: ResourceValidationArgs): FoundWorkload | undefined {
  const deployment = args.asType(k8s.apps.v1.Deployment);
  if (deployment) {
    return { kind: "Deployment", metadata: deployment.metadata, podSpec: deployment.spec?.template?.spec };
  }
  const statefulSet = args.asType(k8s.apps.v1.StatefulSet);
  if (statefulSet) {
    return { kind: "StatefulSet", metadata: statefulSet.metadata, podSpec: statefulSet.spec?.template?.spec };
  }
  const daemonSet = args.asType(k8s.apps.v1.DaemonSet);
  if (daemonSet) {
    return { kind: "DaemonSet", metadata: daemonSet.metadata, podSpec: daemonSet.spec?.template?.spec };
  }
  const job = args.asType(k8s.batch.v1.Job);
  if (job) {
    return { kind: "Job", metadata: job.metadata, podSpec: job.spec?.template?.spec };
  }
  const cronJob = args.asType(k8s.batch.v1.CronJob);
  if (cronJob) {
    const podSpec = cronJob.spec?.jobTemplate?.spec?.template?.spec;
    return { kind: "CronJob", metadata: cronJob.metadata, podSpec };
  }
  const pod = args.asType(k8s.core.v1.Pod);
  if (pod) {
    return { kind: "Pod", metadata: pod.metadata, podSpec: pod.spec };
  }
  return undefined;
}

/**
 * The namespace the object lands in: its own, else the Kubernetes provider's default namespace, else
 * "default" — the same order the provider applies.
 */
export function namespaceOf(
  metadata: { namespace?: string } | undefined,
  provider: { type: string; props: Record<string, unknown> } | undefined,
): string {
  if (metadata?.namespace) {
    return metadata.namespace;
  }
  const providerNamespace =
    provider?.type === "pulumi:providers:kubernetes" ? provider.props["namespace"] : undefined;
  return typeof providerNamespace === "string" && providerNamespace !== "" ? providerNamespace : "default";
}

/** metadata.name when known; otherwise the Pulumi resource name (the provider auto-names from it). */
export function nameOf(metadata: { name?: string } | undefined, resourceName: string): string {
  const name = tryKnown(() => metadata?.name);
  return name.known && name.value ? name.value : resourceName;
}

export function inScope(scope: KubernetesScope, namespace: string, name: string): boolean {
  return (
    !scope.excludedNamespaces.includes(namespace) &&
    !scope.exemptions.some((pattern) => globMatches(pattern, `${namespace}/${name}`))
  );
}

export function describeWorkload(workload: Pick<Workload, "kind" | "namespace" | "name">): string {
  return `${workload.kind} ${workload.namespace}/${workload.name}`;
}

export interface PodContainer {
  container: Container;
  init: boolean;
}

/** The pod's containers, init containers first (the order the kubelet starts them). */
export function containersOf(podSpec: PodSpec, options: { includeInit: boolean }): PodContainer[] {
  const init = options.includeInit ? (podSpec.initContainers ?? []) : [];
  return [
    ...init.map((container) => ({ container, init: true })),
    ...(podSpec.containers ?? []).map((container) => ({ container, init: false })),
  ];
}

export function describeContainer({ container, init }: PodContainer): string {
  return `${init ? "init container" : "container"} '${container.name}'`;
}

/**
 * A resource validation for every pod-owning kind: it resolves the workload and the rule's config (scope
 * knobs included) and calls `check` only for workloads in scope.
 */
export function validateWorkloads<C extends KubernetesScope>(
  defaults: C,
  check: (workload: Workload, config: C, reportViolation: ReportViolation) => void,
  kinds: readonly WorkloadKind[] = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"],
): ResourceValidation {
  return (args, reportViolation) => {
    const found = findWorkload(args);
    if (!found || !kinds.includes(found.kind)) {
      return args.notApplicable(`Policy only applies to ${kinds.join(", ")} resources.`);
    }
    const config = readScopedConfig(args, defaults);
    const namespace = namespaceOf(found.metadata, args.provider);
    const name = nameOf(found.metadata, args.name);
    if (!inScope(config, namespace, name)) {
      return args.notApplicable(`${found.kind} ${namespace}/${name} is exempt by this rule's scope config.`);
    }
    if (found.podSpec) {
      check({ kind: found.kind, namespace, name, podSpec: found.podSpec }, config, reportViolation);
    }
  };
}

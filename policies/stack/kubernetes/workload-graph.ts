/**
 * The Kubernetes objects that decide a workload's availability, read from the stack: Deployments and
 * StatefulSets with their pod labels and replica counts, the HPAs that scale them, the PDBs that select
 * their pods. Links go through known names, namespaces and labels, or through the dependency graph when
 * the program built one object from another's output.
 */
import * as k8s from "@pulumi/kubernetes";
import type { PolicyResource, UnknownValueError } from "@pulumi/policy";
import { selectorMatches, type LabelSelector } from "../../kubernetes/label-selector";
import { namespaceOf, nameOf } from "../../kubernetes/workloads";
import { tryKnown } from "../../lib/known";
import { builtFrom, ofType, type ResourceClass } from "../graph";

interface Metadata {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
}

export interface StackObject {
  resource: PolicyResource;
  kind: string;
  namespace: string;
  name: string;
  /** Whether `name` is the object's real metadata.name (not the Pulumi resource name standing in for it). */
  hasExplicitName: boolean;
}

function stackObject(resource: PolicyResource, kind: string): StackObject {
  const metadata = resource.props["metadata"] as Metadata | undefined;
  const explicitName = tryKnown(() => metadata?.name);
  const hasExplicitName =
    explicitName.known && typeof explicitName.value === "string" && explicitName.value !== "";
  return {
    resource,
    kind,
    namespace: namespaceOf(metadata, resource.provider),
    name: nameOf(metadata, resource.name),
    hasExplicitName,
  };
}

/** Objects of one kind; one whose namespace is unknown is left out and its unknown value kept. */
export interface StackObjects {
  objects: StackObject[];
  unknown?: UnknownValueError;
}

function collect(resources: PolicyResource[], resourceClass: ResourceClass, kind: string) {
  const list: StackObjects = { objects: [] };
  for (const resource of ofType(resources, resourceClass)) {
    const object = tryKnown(() => stackObject(resource, kind));
    if (object.known) {
      list.objects.push(object.value);
    } else {
      list.unknown ??= object.error;
    }
  }
  return list;
}

export function describeObject(object: Pick<StackObject, "kind" | "namespace" | "name">): string {
  return `${object.kind} ${object.namespace}/${object.name}`;
}

export function deployments(resources: PolicyResource[]): StackObjects {
  return collect(resources, k8s.apps.v1.Deployment, "Deployment");
}

/** Deployments and StatefulSets: the workloads a PodDisruptionBudget protects. */
export function replicatedWorkloads(resources: PolicyResource[]): StackObjects {
  const statefulSets = collect(resources, k8s.apps.v1.StatefulSet, "StatefulSet");
  const both = deployments(resources);
  return {
    objects: [...both.objects, ...statefulSets.objects],
    unknown: both.unknown ?? statefulSets.unknown,
  };
}

export function autoscalers(resources: PolicyResource[]): StackObjects {
  return collect(resources, k8s.autoscaling.v2.HorizontalPodAutoscaler, "HorizontalPodAutoscaler");
}

export function disruptionBudgets(resources: PolicyResource[]): StackObjects {
  return collect(resources, k8s.policy.v1.PodDisruptionBudget, "PodDisruptionBudget");
}

function spec<T>(object: StackObject): T | undefined {
  return object.resource.props["spec"] as T | undefined;
}

/** Whether the HPA scales the workload (scaleTargetRef kind + name, same namespace). */
export function scales(hpa: StackObject, workload: StackObject): boolean {
  const target = spec<{ scaleTargetRef?: { kind?: string; name?: string } }>(hpa)?.scaleTargetRef;
  if (target?.kind !== workload.kind) {
    return false;
  }
  // A target name taken from the workload's output makes the HPA's spec depend on the workload.
  if (builtFrom(hpa.resource, workload.resource, "spec")) {
    return true;
  }
  return hpa.namespace === workload.namespace && workload.hasExplicitName && target.name === workload.name;
}

/** Whether the PDB's selector selects the workload's pods (same namespace). */
export function selects(pdb: StackObject, workload: StackObject): boolean {
  if (pdb.namespace !== workload.namespace) {
    return false;
  }
  const selector = spec<{ selector?: LabelSelector }>(pdb)?.selector;
  const podTemplate = spec<{ template?: { metadata?: Metadata } }>(workload)?.template;
  return selectorMatches(selector, podTemplate?.metadata?.labels ?? {});
}

/** The fewest pods the workload runs: its HPA's minReplicas when one scales it, else spec.replicas (default 1). */
export function minimumReplicas(workload: StackObject, hpas: StackObject[]): number {
  const hpa = hpas.find((candidate) => scales(candidate, workload));
  if (hpa) {
    return spec<{ minReplicas?: number }>(hpa)?.minReplicas ?? 1;
  }
  return spec<{ replicas?: number }>(workload)?.replicas ?? 1;
}

/**
 * Whether any candidate is linked to the subject: true, false, or the unknown value that prevented ruling
 * out a candidate (then "no link" cannot be asserted during preview).
 */
export function anyLinked(candidates: StackObjects, isLinked: (candidate: StackObject) => boolean) {
  let unknown = candidates.unknown;
  for (const candidate of candidates.objects) {
    const linked = tryKnown(() => isLinked(candidate));
    if (linked.known && linked.value) {
      return true;
    }
    if (!linked.known) {
      unknown ??= linked.error;
    }
  }
  return unknown ?? false;
}

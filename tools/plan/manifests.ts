import YAML from "yaml";
import type { RegisteredResource } from "../engine/engine";
import { display } from "./wire";

// Every Kubernetes object the stack declares, as YAML a real tool (kubernetes-models, kubectl
// --dry-run) can read. Secrets are masked, unknowns marked: the files are safe to upload.

/** True for resources that are one Kubernetes object (not providers, Helm charts or components). */
export function isKubernetesObject(r: RegisteredResource): boolean {
  return (
    r.custom &&
    r.type.startsWith("kubernetes:") &&
    !/^kubernetes:helm\.sh\//.test(r.type) &&
    !r.type.endsWith(":Chart")
  );
}

/** apiVersion and kind from a type token such as kubernetes:apps/v1:Deployment or kubernetes:core/v1:Service. */
export function apiVersionAndKind(type: string): { apiVersion: string; kind: string } {
  const [, module, kind] = type.split(":");
  return { apiVersion: module.startsWith("core/") ? module.slice("core/".length) : module, kind };
}

/** file name → YAML document, one per object. */
export function renderManifests(resources: RegisteredResource[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of resources.filter(isKubernetesObject)) {
    const object: Record<string, unknown> = {
      ...apiVersionAndKind(r.type),
      ...(display(r.inputs) as object),
    };
    // A Secret whose whole data map is unknown or secret renders as an empty map: its keys and
    // values are exactly what the plan must not show.
    for (const field of ["data", "stringData"]) {
      if (object.kind === "Secret" && typeof object[field] === "string") object[field] = {};
    }
    const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
    const parts = [object.kind, metadata.namespace, metadata.name ?? r.name].filter(Boolean);
    files.set(`${parts.join("-").toLowerCase()}.yaml`, YAML.stringify(object));
  }
  return files;
}

import type { RegisteredResource } from "../engine/engine";
import { fromYamlDocuments, toYaml } from "../../components/yaml";
import { display } from "./wire";

// Every Kubernetes object the stack declares, as YAML a real tool (kubernetes-models, kubectl
// --dry-run) can read: each resource that is one object, and each object a ConfigGroup holds
// (the provider creates those as its children, which the mocks never see). Secrets are masked,
// unknowns marked: the files are safe to upload.

const CONFIG_GROUP = /^kubernetes:yaml\/v2:ConfigGroup$/;

/** True for resources that are one Kubernetes object (not providers, Helm charts, ConfigGroups or components). */
export function isKubernetesObject(r: RegisteredResource): boolean {
  return (
    r.custom &&
    r.type.startsWith("kubernetes:") &&
    !/^kubernetes:helm\.sh\//.test(r.type) &&
    !r.type.endsWith(":Chart") &&
    !CONFIG_GROUP.test(r.type)
  );
}

/** apiVersion and kind from a type token such as kubernetes:apps/v1:Deployment or kubernetes:core/v1:Service. */
export function apiVersionAndKind(type: string): { apiVersion: string; kind: string } {
  const [, module, kind] = type.split(":");
  return { apiVersion: module.startsWith("core/") ? module.slice("core/".length) : module, kind };
}

type KubernetesObject = Record<string, unknown> & { kind?: unknown; metadata?: unknown };

/** The objects a ConfigGroup declares: its `objs` (one or a list) and the documents of its `yaml`. */
function configGroupObjects(r: RegisteredResource): KubernetesObject[] {
  const inputs = display(r.inputs) as { objs?: unknown; yaml?: unknown };
  const objs = inputs.objs === undefined ? [] : Array.isArray(inputs.objs) ? inputs.objs : [inputs.objs];
  const fromYaml = typeof inputs.yaml === "string" ? fromYamlDocuments(inputs.yaml) : [];
  return [...objs, ...fromYaml].filter((o): o is KubernetesObject => !!o && typeof o === "object");
}

/** file name → YAML document, one per object. */
export function renderManifests(resources: RegisteredResource[]): Map<string, string> {
  // Each object with the name it goes by when it has none of its own (Pulumi auto-names those).
  const objects: [KubernetesObject, string][] = [];
  for (const r of resources) {
    if (isKubernetesObject(r)) {
      objects.push([{ ...apiVersionAndKind(r.type), ...(display(r.inputs) as object) }, r.name]);
    } else if (CONFIG_GROUP.test(r.type)) {
      objects.push(...configGroupObjects(r).map((o): [KubernetesObject, string] => [o, r.name]));
    }
  }
  const files = new Map<string, string>();
  for (const [object, resourceName] of objects) {
    // A Secret whose whole data map is unknown or secret renders as an empty map: its keys and
    // values are exactly what the plan must not show.
    for (const field of ["data", "stringData"]) {
      if (object.kind === "Secret" && typeof object[field] === "string") object[field] = {};
    }
    // A masked value of `data` is written as `data` values are, base64 (the API's format "byte"), so
    // the manifest still validates; decoded it reads [secret] or [unknown].
    if (object.kind === "Secret" && object.data && typeof object.data === "object") {
      object.data = Object.fromEntries(
        Object.entries(object.data as Record<string, unknown>).map(([key, value]) => [
          key,
          value === "[secret]" || value === "[unknown]" ? Buffer.from(value).toString("base64") : value,
        ]),
      );
    }
    const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
    // A name unknown until deployment (a Job named from its hashed spec) goes by its resource's.
    const named = metadata.name && metadata.name !== "[unknown]" ? metadata.name : resourceName;
    const parts = [object.kind, metadata.namespace, named].filter(Boolean);
    const file = `${parts.join("-").toLowerCase()}.yaml`;
    if (files.has(file))
      throw new Error(`two objects render to ${file}: ${String(object.kind)} names must be unique`);
    files.set(file, toYaml(object));
  }
  return files;
}

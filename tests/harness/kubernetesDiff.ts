// What the Pulumi Kubernetes provider does with a changed object: update it in place or replace it.
// A model of its Diff for the kinds where we depend on the answer, written from its source
// (pulumi/pulumi-kubernetes provider/pkg/provider/diff.go, forceNewProperties, as of v4.34): a change
// to any of a kind's "force new" fields is a replacement; the rest is a patch.
//
// - Secret: `.type` always; `.data` and `.stringData` too unless the provider has
//   `enableSecretMutable` and the Secret is not `immutable`.
// - ConfigMap: `.data` and `.binaryData` unless the provider has `enableConfigMapMutable` and the
//   ConfigMap is not `immutable`.
// - StorageClass: `.parameters` and `.provisioner` only (the API also refuses changes to
//   `reclaimPolicy` and `volumeBindingMode`, which the provider sends as a patch).
// - Every kind: `.metadata.name` and `.metadata.namespace` (metadataForceNewProperties).

/** The provider's settings that change its Diff, as registered (inputs may be strings on the wire). */
export interface KubernetesProviderSettings {
  enableConfigMapMutable?: boolean | string;
  enableSecretMutable?: boolean | string;
}

const on = (value: boolean | string | undefined) => value === true || value === "true";

/** The fields of `kind` whose change makes the provider replace the object (top-level paths). */
export function forceNewFields(
  kind: string,
  object: { immutable?: boolean },
  provider: KubernetesProviderSettings,
): string[] {
  const metadata = ["metadata.name", "metadata.namespace"];
  const immutable = object.immutable === true;
  switch (kind) {
    case "Secret":
      return [
        ...metadata,
        "type",
        ...(on(provider.enableSecretMutable) && !immutable ? [] : ["data", "stringData"]),
      ];
    case "ConfigMap":
      return [
        ...metadata,
        ...(on(provider.enableConfigMapMutable) && !immutable ? [] : ["data", "binaryData"]),
      ];
    case "StorageClass":
      return [...metadata, "parameters", "provisioner"];
    default:
      throw new Error(`no model of the provider's diff for ${kind}`);
  }
}

const field = (object: Record<string, any>, path: string) =>
  path.split(".").reduce<any>((value, key) => value?.[key], object);

/** The top-level fields (and metadata's name and namespace) that differ between two objects. */
export function changedFields(before: Record<string, any>, after: Record<string, any>): string[] {
  const paths = new Set<string>(["metadata.name", "metadata.namespace"]);
  for (const key of [...Object.keys(before), ...Object.keys(after)]) paths.add(key);
  return [...paths].filter((p) => JSON.stringify(field(before, p)) !== JSON.stringify(field(after, p)));
}

/** What the provider does when `before` becomes `after`: nothing, an update in place, or a replacement. */
export function providerDiff(
  kind: string,
  before: Record<string, any>,
  after: Record<string, any>,
  provider: KubernetesProviderSettings,
): "same" | "update" | "replace" {
  const changed = changedFields(before, after);
  if (changed.length === 0) return "same";
  const forceNew = forceNewFields(kind, after, provider);
  return changed.some((path) => forceNew.includes(path)) ? "replace" : "update";
}

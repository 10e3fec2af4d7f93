import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";

// Config rollouts. A pod reads its ConfigMaps and Secrets when it starts (envFrom, a mounted file
// read once), so changing one in place reaches no running pod: Kubernetes rolls a Deployment only
// when its pod template changes. So every workload's template carries a checksum of what it reads,
// as Helm's chart guide does ("Automatically Roll Deployments", helm.sh/docs/howto/charts_tips_and_tricks):
// a changed value changes the checksum of exactly the templates that read it, and those roll.
// The provider updates the objects themselves in place (enableConfigMapMutable/enableSecretMutable on
// the cluster's provider, components/cluster): otherwise it deletes and recreates them.

/** The pod-template annotation with the checksum of everything the pod reads from ConfigMaps and Secrets. */
export const CONFIG_CHECKSUM = "checksum/config";

/** JSON with object keys sorted, so equal values hash equally whatever order they were built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The SHA-256 of a value's canonical JSON, in hex. */
export function sha256Hex(value: unknown): string {
  return crypto.createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/** What a workload reads: each ConfigMap's `data` and each Secret's values (before encoding), by object name. */
export type ReadObjects = Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>>;

/**
 * The checksum of what a workload reads, for its template's {@link CONFIG_CHECKSUM} annotation.
 *
 * Not a secret, although Secrets' values go into it: a SHA-256 over values that include generated
 * passwords (40 random characters and more) cannot be turned back into them, and the annotation shows only what the
 * diff of a preview should show anyway, which workloads roll. (Kept secret, it would hide that and
 * turn the migration Job's name, which hashes its template, into a secret too.) Unknown in a
 * preview where one of the values is (a database not created yet); then the template is too.
 */
export function configChecksum(objects: ReadObjects): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.output(objects).apply((resolved) => sha256Hex(resolved)));
}

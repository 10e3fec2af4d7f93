// The volumes the cluster has already provisioned, which the settings alone cannot know: the
// preflight asks the account for them (settings/preflight.ts, prometheusVolumes).

/**
 * Prometheus's volume claims, as prometheus-operator names them for kube-prometheus-stack's
 * Prometheus `kube-prometheus-stack-prometheus` in `monitoring`: `<claim template>-<pod>`, with the
 * template `prometheus-<name>-db` and the pods `prometheus-<name>-<ordinal>` (operator
 * pkg/prometheus/server/statefulset.go; the chart fixture, tests/charts, records both names).
 */
export const PROMETHEUS_CLAIMS = {
  namespace: "monitoring",
  prefix: "prometheus-kube-prometheus-stack-prometheus-db-prometheus-kube-prometheus-stack-prometheus-",
} as const;

/**
 * The tags the EBS CSI driver puts on a volume it provisions for a claim, when its provisioner runs
 * with --extra-create-metadata (aws-ebs-csi-driver docs/tagging.md; the driver's chart sets
 * `controller.extraCreateMetadata: true` by default, which the EKS add-on installs).
 */
export const CLAIM_NAME_TAG = "kubernetes.io/created-for/pvc/name";
export const CLAIM_NAMESPACE_TAG = "kubernetes.io/created-for/pvc/namespace";

/** A volume Prometheus already has: its claim, its EBS volume and its size. */
export interface ProvisionedVolume {
  claim: string;
  volumeId: string;
  sizeGiB: number;
}

/**
 * The size Prometheus may count on: the smallest of its volumes, or the setting when there are none
 * yet (the claims are then created at the setting) or all are at least as large.
 */
export function usableStorageGiB(settingGiB: number, volumes: ProvisionedVolume[]): number {
  return Math.min(settingGiB, ...volumes.map((v) => v.sizeGiB));
}

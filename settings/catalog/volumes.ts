// The volumes the cluster has already provisioned, which the settings alone cannot know: the
// preflight asks the account for them (settings/preflight.ts, monitoringVolumes).

/**
 * The volume claims prometheus-operator makes for kube-prometheus-stack's Prometheus and
 * Alertmanager in `monitoring`: `<claim template>-<StatefulSet>-<ordinal>`, the template named
 * `<StatefulSet>-db` (operator pkg/prometheus/common.go, pkg/alertmanager/statefulset.go; the chart
 * fixture, tests/charts, records both names).
 */
export const MONITORING_CLAIMS = {
  namespace: "monitoring",
  prometheus: "prometheus-kube-prometheus-stack-prometheus-db-prometheus-kube-prometheus-stack-prometheus-",
  alertmanager:
    "alertmanager-kube-prometheus-stack-alertmanager-db-alertmanager-kube-prometheus-stack-alertmanager-",
} as const;

/**
 * The tags the EBS CSI driver puts on a volume it provisions for a claim, when its provisioner runs
 * with --extra-create-metadata (aws-ebs-csi-driver docs/tagging.md, pkg/driver/constants.go; the
 * driver's chart sets `controller.extraCreateMetadata: true` by default).
 */
export const CLAIM_NAME_TAG = "kubernetes.io/created-for/pvc/name";
export const CLAIM_NAMESPACE_TAG = "kubernetes.io/created-for/pvc/namespace";

/** A volume Prometheus already has. */
export interface ProvisionedVolume {
  claim: string;
  volumeId: string;
  sizeGiB: number;
  zone: string;
  /**
   * Attached to a node (EC2 status `in-use`), so its claim exists and is mounted. A detached one may
   * be a claim whose pod is not running, or one left behind by a deleted claim (the gp3 class keeps
   * its volumes).
   */
  attached: boolean;
}

/**
 * The size Prometheus may count on: the smallest of its volumes, or the setting when there are none
 * yet (the claims are then created at the setting) or all are at least as large.
 */
export function usableStorageGiB(settingGiB: number, volumes: ProvisionedVolume[]): number {
  return Math.min(settingGiB, ...volumes.map((v) => v.sizeGiB));
}

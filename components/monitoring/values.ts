import { toYaml } from "../yaml";
import type { AlertReceiverKind, Settings } from "../../settings";
import { type ProvisionedVolume, usableStorageGiB } from "../../settings/catalog/volumes";

// kube-prometheus-stack's values, pure. Every key path set here exists in the chart's vendored
// values.yaml (charts/kube-prometheus-stack/<version>/values.yaml) or in SUBCHART_PASSTHROUGH below;
// tests/components/monitoring checks that, offline.

export const CHART = "kube-prometheus-stack";
export const CHART_REPO = "https://prometheus-community.github.io/helm-charts";
/** The Helm release name: services are `<release>-grafana`, `<release>-alertmanager`, ... */
export const RELEASE = "kube-prometheus-stack";
/** node-exporter shares the host's network, PIDs and /proc, /sys: a namespace of its own that allows it. */
export const NODE_EXPORTER_NAMESPACE = "node-exporter";
/** The Secret holding Grafana's admin user and its generated password. */
export const GRAFANA_ADMIN_SECRET = "grafana-admin";
/**
 * The Secret holding the receiver's credential (key `receiver`) and the heartbeat URL (key
 * `heartbeat`), mounted into Alertmanager (alertmanagerSpec.secrets: /etc/alertmanager/secrets/
 * <name>/<key>) and read through each receiver's `*_file` field: never a Helm value. Alertmanager
 * reads those files when it notifies, so a rotated secret needs no restart.
 */
export const RECEIVER_SECRET = "alertmanager-receivers";
const SECRET_DIR = `/etc/alertmanager/secrets/${RECEIVER_SECRET}`;
export const RECEIVER_FILE = `${SECRET_DIR}/receiver`;
export const HEARTBEAT_FILE = `${SECRET_DIR}/heartbeat`;
/** The EKS cluster's default StorageClass (components/cluster). */
export const STORAGE_CLASS = "gp3";

/**
 * Values of the subcharts (grafana, kube-state-metrics, prometheus-node-exporter) that
 * kube-prometheus-stack passes through but does not list in its own values.yaml. Each is a key of
 * the subchart's values.yaml (grafana-community/helm-charts charts/grafana; prometheus-community
 * charts/kube-state-metrics and charts/prometheus-node-exporter) holding a Kubernetes type, so
 * anything below it is that type's fields, or (testFramework) a small settings map of its own.
 */
export const SUBCHART_PASSTHROUGH = [
  "grafana.testFramework",
  "grafana.extraEmptyDirMounts",
  "grafana.resources",
  "grafana.containerSecurityContext",
  "grafana.sidecar.resources",
  "grafana.sidecar.securityContext",
  "kube-state-metrics.resources",
  "prometheus-node-exporter.resources",
  "prometheus-node-exporter.containerSecurityContext",
];

type Resources = NonNullable<Settings["monitoring"]["prometheusResources"]>;
const bounded = (cpu: [string, string], memory: [string, string]): Resources => ({
  requests: { cpu: cpu[0], memory: memory[0] },
  limits: { cpu: cpu[1], memory: memory[1] },
});

/**
 * Requests and limits of every container besides Prometheus (whose size is a per-stack setting).
 * Limits stay within the policy pack's ratios (CPU <= 8x, memory <= 4x the request).
 */
export const COMPONENT_RESOURCES = {
  operator: bounded(["100m", "500m"], ["128Mi", "256Mi"]),
  configReloader: bounded(["20m", "100m"], ["32Mi", "64Mi"]),
  alertmanager: bounded(["50m", "200m"], ["128Mi", "256Mi"]),
  grafana: bounded(["100m", "500m"], ["256Mi", "512Mi"]),
  grafanaSidecar: bounded(["50m", "200m"], ["64Mi", "128Mi"]),
  kubeStateMetrics: bounded(["50m", "200m"], ["128Mi", "256Mi"]),
  nodeExporter: bounded(["50m", "200m"], ["32Mi", "64Mi"]),
};

/** The hardened container security context (the policy pack's pod-security rules). */
const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/** Where alerts go: the receiver's kind (its credential is in RECEIVER_SECRET), and the heartbeat. */
export interface Alerting {
  /** `healthflow:monitoring.alertReceiver` when its credential is set. Default: a null receiver. */
  receiver?: AlertReceiverKind;
  /** True when `healthflow:alertHeartbeatUrl` is set. Default false: Watchdog goes to the null receiver. */
  heartbeat: boolean;
}

export interface MonitoringValuesArgs {
  /** `healthflow:monitoring` with the staging/production keys set. */
  monitoring: Settings["monitoring"] & { prometheusResources: Resources; replicas: number };
  /** "staging" or "production": every alert carries it as the `environment` label. */
  environment: string;
  alerting: Alerting;
  /** Prometheus's volumes that already exist, as the preflight found them. Default: none yet. */
  prometheusVolumes?: ProvisionedVolume[];
}

/**
 * Each kind's receiver, its credential read from RECEIVER_FILE through the kind's own `*_file`
 * field (Alertmanager v0.34.0: config/notifiers.go SlackConfig.api_url_file, notify/pagerduty
 * PagerdutyConfig.routing_key_file (Events API v2), notify/msteamsv2 MSTeamsV2Config.
 * webhook_url_file, notify/webhook WebhookConfig.url_file). Resolved alerts are sent too.
 */
export function receiverConfig(kind: AlertReceiverKind, file: string = RECEIVER_FILE) {
  switch (kind) {
    case "slack":
      return { name: kind, slack_configs: [{ api_url_file: file, send_resolved: true }] };
    case "msteamsv2":
      return { name: kind, msteamsv2_configs: [{ webhook_url_file: file, send_resolved: true }] };
    case "pagerduty":
      return { name: kind, pagerduty_configs: [{ routing_key_file: file, send_resolved: true }] };
    case "webhook":
      return { name: kind, webhook_configs: [{ url_file: file, send_resolved: true }] };
  }
}

/**
 * How often the heartbeat posts: Watchdog's route notifies at every group interval, so the dead
 * man's switch hears from Alertmanager about once a minute (give its check a few minutes' grace).
 */
export const HEARTBEAT_INTERVAL = "1m";

/**
 * Alertmanager's routing. Everything goes to the receiver (or to a null receiver when none is
 * set); Watchdog, which always fires while Prometheus and Alertmanager work, goes to the heartbeat
 * every minute, so the dead man's switch pages when it stops; InfoInhibitor only inhibits (the
 * chart routes it to null by default, and so do we).
 */
export function alertmanagerConfig(alerting: Alerting) {
  const receiver = alerting.receiver ?? "null";
  const watchdog = alerting.heartbeat
    ? {
        receiver: "heartbeat",
        matchers: ['alertname = "Watchdog"'],
        group_wait: "0s",
        group_interval: HEARTBEAT_INTERVAL,
        repeat_interval: HEARTBEAT_INTERVAL,
      }
    : { receiver: "null", matchers: ['alertname = "Watchdog"'] };
  return {
    route: {
      receiver,
      group_by: ["alertname", "namespace"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes: [watchdog, { receiver: "null", matchers: ['alertname = "InfoInhibitor"'] }],
    },
    receivers: [
      { name: "null" },
      ...(alerting.receiver ? [receiverConfig(alerting.receiver)] : []),
      // The heartbeat's body is Alertmanager's webhook JSON; heartbeat services take any POST.
      ...(alerting.heartbeat
        ? [{ name: "heartbeat", webhook_configs: [{ url_file: HEARTBEAT_FILE, send_resolved: false }] }]
        : []),
    ],
  };
}

/** What a stack's settings route: the receiver once its credential is set, the heartbeat once its URL is. */
export function alertingOf(settings: Pick<Settings, "monitoring" | "secrets">): Alerting {
  const { alertReceiver } = settings.monitoring;
  return {
    receiver: alertReceiver && settings.secrets.alertReceiverSecret ? alertReceiver : undefined,
    heartbeat: settings.secrets.alertHeartbeatUrl !== undefined,
  };
}

/** Alertmanager's config as the file it reads (the chart writes it to a Secret): what amtool checks. */
export function alertmanagerFile(alerting: Alerting): string {
  return toYaml(alertmanagerConfig(alerting));
}

/**
 * The replicas of one StatefulSet in different zones, a hard rule: each replica's volume is a zonal
 * EBS volume, so two replicas in one zone lose both copies of the data with that zone, and the
 * chart's own anti-affinity is a soft per-node rule. `selector` is the pod labels the operator sets
 * (the chart's anti-affinity selects the same: templates/prometheus/prometheus.yaml and
 * templates/alertmanager/alertmanager.yaml). With one node group per zone the autoscaler can add a
 * node in the zone a pending replica needs (components/cluster/nodes.ts).
 */
export function zoneSpread(selector: Record<string, string>) {
  return [
    {
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "DoNotSchedule",
      labelSelector: { matchLabels: selector },
    },
  ];
}

/** Replicas and a PodDisruptionBudget from two replicas (one replica with minAvailable 1 blocks every drain). */
function highAvailability(replicas: number) {
  return { enabled: replicas >= 2, minAvailable: 1 };
}

/** The chart's values for a staging/production stack. */
export function monitoringValues(args: MonitoringValuesArgs) {
  const { monitoring } = args;
  const volume = (gib: number) => ({
    volumeClaimTemplate: {
      spec: {
        storageClassName: STORAGE_CLASS,
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: `${gib}Gi` } },
      },
    },
  });
  return {
    // The EKS control plane's scheduler, controller manager and etcd are AWS's and cannot be
    // scraped, and kube-proxy binds its metrics to localhost: their targets and rules would only
    // ever say "down".
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeEtcd: { enabled: false },
    kubeProxy: { enabled: false },
    defaultRules: {
      rules: {
        etcd: false,
        kubeControllerManager: false,
        kubeSchedulerAlerting: false,
        kubeSchedulerRecording: false,
        kubeProxy: false,
        windows: false,
      },
    },
    prometheusOperator: {
      // Helm Chart v4 does not run Helm hooks, and the admission webhook's certificate comes from
      // hook Jobs; rules are validated before they ship instead (promtool in the test suite).
      admissionWebhooks: { enabled: false },
      tls: { enabled: false },
      resources: COMPONENT_RESOURCES.operator,
      // The operator then gives the config-reloader sidecar of Prometheus and Alertmanager liveness,
      // readiness and startup probes on its /healthz (--enable-config-reloader-probes, operator
      // v0.93 pkg/operator/config_reloader.go), as every other long-running container has.
      prometheusConfigReloader: { resources: COMPONENT_RESOURCES.configReloader, enableProbe: true },
    },
    prometheus: {
      podDisruptionBudget: highAvailability(monitoring.replicas),
      prometheusSpec: {
        replicas: monitoring.replicas,
        retention: `${monitoring.prometheusRetentionDays}d`,
        // Drop the oldest blocks before the volume fills (85 %: WAL and compaction need room), of
        // the size each volume has, not the one asked for: a claim grows after the update that
        // asks for it (components/monitoring/index.ts expands them), and the next update follows.
        retentionSize: `${Math.floor(usableStorageGiB(monitoring.prometheusStorageGiB, args.prometheusVolumes ?? []) * 0.85)}GB`,
        storageSpec: volume(monitoring.prometheusStorageGiB),
        topologySpreadConstraints: zoneSpread({
          "app.kubernetes.io/name": "prometheus",
          "app.kubernetes.io/instance": `${RELEASE}-prometheus`,
        }),
        resources: monitoring.prometheusResources,
        externalLabels: { environment: args.environment },
        // Select every ServiceMonitor, PodMonitor and PrometheusRule of the cluster, not only
        // those labelled with this Helm release.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
      },
    },
    alertmanager: {
      config: alertmanagerConfig(args.alerting),
      podDisruptionBudget: highAvailability(monitoring.replicas),
      alertmanagerSpec: {
        // From two replicas the operator clusters them: notifications are deduplicated.
        replicas: monitoring.replicas,
        // Silences and the notification log survive a restart.
        storage: volume(2),
        topologySpreadConstraints: zoneSpread({
          "app.kubernetes.io/name": "alertmanager",
          alertmanager: `${RELEASE}-alertmanager`,
        }),
        resources: COMPONENT_RESOURCES.alertmanager,
        secrets: args.alerting.receiver || args.alerting.heartbeat ? [RECEIVER_SECRET] : [],
      },
    },
    grafana: {
      // Generated password in a Secret this program owns (never a Helm value, never in state as text).
      admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
      defaultDashboardsTimezone: "America/Sao_Paulo",
      // Its `helm test` Pod is a Helm hook, which Chart v4 never runs (and which would run unbounded,
      // as root): off, so the chart renders no hook at all.
      testFramework: { enabled: false },
      resources: COMPONENT_RESOURCES.grafana,
      containerSecurityContext: RESTRICTED_CONTAINER,
      // A read-only root filesystem needs a writable /tmp for Grafana (plugins, sessions).
      extraEmptyDirMounts: [{ name: "tmp", mountPath: "/tmp" }],
      // The k8s-sidecar containers have no health endpoint the chart can probe per sidecar; the
      // policy pack exempts this Deployment from k8s-probes-configured (Grafana itself has probes).
      sidecar: {
        resources: COMPONENT_RESOURCES.grafanaSidecar,
        securityContext: RESTRICTED_CONTAINER,
      },
    },
    "kube-state-metrics": {
      resources: COMPONENT_RESOURCES.kubeStateMetrics,
    },
    "prometheus-node-exporter": {
      namespaceOverride: NODE_EXPORTER_NAMESPACE,
      resources: COMPONENT_RESOURCES.nodeExporter,
      // Host namespaces and hostPath stay (exempted in policies/config); everything else is locked,
      // including the runtime's default seccomp filter, which the chart leaves off (node-exporter
      // only reads /proc and /sys, as it does under Docker's default profile, its documented setup).
      containerSecurityContext: RESTRICTED_CONTAINER,
    },
  };
}

import type { Settings } from "../../settings";

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
/** The Secret holding the Alertmanager webhook URL, mounted into Alertmanager (never in Helm values). */
export const WEBHOOK_SECRET = "alertmanager-webhook";
export const WEBHOOK_URL_FILE = `/etc/alertmanager/secrets/${WEBHOOK_SECRET}/url`;
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

export interface MonitoringValuesArgs {
  /** `healthflow:monitoring` with the staging/production keys set. */
  monitoring: Settings["monitoring"] & { prometheusResources: Resources };
  /** "staging" or "production": every alert carries it as the `environment` label. */
  environment: string;
  /** True when an Alertmanager webhook is configured (its URL lives in WEBHOOK_SECRET). */
  webhook: boolean;
}

/** Alertmanager's routing: everything to the webhook when there is one, else to a null receiver. */
export function alertmanagerConfig(webhook: boolean) {
  const receiver = webhook ? "webhook" : "null";
  return {
    route: {
      receiver,
      group_by: ["alertname", "namespace"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      // Watchdog always fires (it proves the pipeline works); it pages no one.
      // InfoInhibitor only inhibits; the chart routes it to null by default and so do we.
      routes: [
        { receiver: "null", matchers: ['alertname = "Watchdog"'] },
        { receiver: "null", matchers: ['alertname = "InfoInhibitor"'] },
      ],
    },
    receivers: [
      { name: "null" },
      ...(webhook
        ? [{ name: "webhook", webhook_configs: [{ url_file: WEBHOOK_URL_FILE, send_resolved: true }] }]
        : []),
    ],
  };
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
      prometheusSpec: {
        retention: `${monitoring.prometheusRetentionDays}d`,
        // Drop the oldest blocks before the volume fills (85 %: WAL and compaction need room).
        retentionSize: `${Math.floor(monitoring.prometheusStorageGiB * 0.85)}GB`,
        storageSpec: volume(monitoring.prometheusStorageGiB),
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
      config: alertmanagerConfig(args.webhook),
      alertmanagerSpec: {
        // Silences and the notification log survive a restart.
        storage: volume(2),
        resources: COMPONENT_RESOURCES.alertmanager,
        secrets: args.webhook ? [WEBHOOK_SECRET] : [],
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

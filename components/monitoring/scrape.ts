import {
  APP_NAMESPACE,
  CERT_MANAGER_NAMESPACE,
  INGRESS_NAMESPACE,
  LOGGING_NAMESPACE,
  MONITORING_NAMESPACE,
} from "../names";
import { API_JOB, LOG_SHIPPER_JOB } from "./rules";

// What Prometheus scrapes beyond what kube-prometheus-stack brings (nodes, kubelets, kube-state-
// metrics, itself): PodMonitor specs (monitoring.coreos.com/v1), pure so tests read them directly.
// They all live in the monitoring namespace and select their targets' namespace, so they never wait
// for (or break with) another component's namespace.

/** One scrape object: its kind, name, namespace and spec. */
export interface ScrapeObject {
  kind: "PodMonitor" | "ServiceMonitor";
  name: string;
  namespace: string;
  spec: Record<string, unknown>;
}

/** A scrape endpoint whose samples carry `job` (the alert rules filter on it) instead of "<namespace>/<monitor>". */
function asJob(job: string, endpoint: { port: string; path: string; interval: string }) {
  return { ...endpoint, relabelings: [{ action: "replace", targetLabel: "job", replacement: job }] };
}

/**
 * The guide's scrape config as a PodMonitor: every pod with `app: healthflow-api` (role: pod,
 * relabel keep on that label), scraped every 15 s (its global scrape_interval) under the guide's
 * job name, which the alert rules filter on. It scrapes the container port named "metrics"
 * (components/workloads/spec.ts), which no Service targets: the public never reaches /metrics.
 */
export function apiPodMonitor(): ScrapeObject {
  return {
    kind: "PodMonitor",
    name: API_JOB,
    namespace: MONITORING_NAMESPACE,
    spec: {
      selector: { matchLabels: { app: API_JOB } },
      namespaceSelector: { matchNames: [APP_NAMESPACE] },
      podMetricsEndpoints: [asJob(API_JOB, { port: "metrics", path: "/metrics", interval: "15s" })],
    },
  };
}

/**
 * The F5 NGINX Ingress Controller's Prometheus exporter (chart value prometheus.create, port 9113,
 * container port "prometheus"): request and connection counts at the edge of the cluster.
 */
export function ingressPodMonitor(): ScrapeObject {
  return {
    kind: "PodMonitor",
    name: "nginx-ingress",
    namespace: MONITORING_NAMESPACE,
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": "nginx-ingress" } },
      namespaceSelector: { matchNames: [INGRESS_NAMESPACE] },
      podMetricsEndpoints: [{ port: "prometheus", path: "/metrics", interval: "30s" }],
    },
  };
}

/**
 * cert-manager's controller metrics (port "http-metrics", 9402): certificate expiry for the
 * CertificateExpiringSoon alert. honorLabels keeps the certificate's own `namespace` label.
 */
export function certManagerPodMonitor(): ScrapeObject {
  return {
    kind: "PodMonitor",
    name: "cert-manager",
    namespace: MONITORING_NAMESPACE,
    spec: {
      selector: {
        matchLabels: {
          "app.kubernetes.io/name": "cert-manager",
          "app.kubernetes.io/component": "controller",
        },
      },
      namespaceSelector: { matchNames: [CERT_MANAGER_NAMESPACE] },
      podMetricsEndpoints: [{ port: "http-metrics", path: "/metrics", interval: "60s", honorLabels: true }],
    },
  };
}

/** Every scrape object the Monitoring component creates. */
/**
 * Fluent Bit's own metrics (fluent-bit v5.1.1 serves them at /api/v2/metrics/prometheus on its HTTP
 * port, the chart's container port "http"; src/http_server/api/v2/metrics.c): what each output
 * delivered and retried, for the LogShippingStalled alert. The chart's selector labels pick its pods.
 */
export function logShipperPodMonitor(): ScrapeObject {
  return {
    kind: "PodMonitor",
    name: LOG_SHIPPER_JOB,
    namespace: MONITORING_NAMESPACE,
    spec: {
      selector: {
        matchLabels: { "app.kubernetes.io/name": "fluent-bit", "app.kubernetes.io/instance": "fluent-bit" },
      },
      namespaceSelector: { matchNames: [LOGGING_NAMESPACE] },
      podMetricsEndpoints: [
        asJob(LOG_SHIPPER_JOB, { port: "http", path: "/api/v2/metrics/prometheus", interval: "60s" }),
      ],
    },
  };
}

export function scrapeObjects(): ScrapeObject[] {
  return [apiPodMonitor(), ingressPodMonitor(), certManagerPodMonitor(), logShipperPodMonitor()];
}

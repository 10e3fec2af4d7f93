import type * as pulumi from "@pulumi/pulumi";

// Names several components agree on. One place, so a NetworkPolicy and the namespace it admits
// traffic from can never drift apart.

/** HealthFlow's apps and jobs (the guide's namespace). */
export const APP_NAMESPACE = "healthflow";
/** The F5 NGINX Ingress Controller. */
export const INGRESS_NAMESPACE = "nginx-ingress";
/** The IngressClass the controller serves. */
export const INGRESS_CLASS = "nginx";
/** kube-prometheus-stack. */
export const MONITORING_NAMESPACE = "monitoring";
/** Fluent Bit, the log shipper (components/audit/containerLogs.ts): the one namespace besides node-exporter's with host paths. */
export const LOGGING_NAMESPACE = "logging";
/** cert-manager and its ClusterIssuers. */
export const CERT_MANAGER_NAMESPACE = "cert-manager";
/** The Let's Encrypt ClusterIssuer the hosts' Certificates name. */
export const CLUSTER_ISSUER = "letsencrypt-prod";
/**
 * The TLS Secrets of the app and API hosts: cert-manager's Certificates write them
 * (components/ingress), the Ingresses serve them (components/workloads).
 */
export const TLS_SECRETS = { app: "healthflow-web-tls", api: "healthflow-api-tls" } as const;

/**
 * The annotation with which the Kubernetes provider replaces an object that is not ready (a Job that
 * failed or timed out) on the next update, instead of awaiting it again and failing at once
 * (@pulumi/kubernetes, the Job's await docs; provider/pkg/await).
 */
export const REPLACE_UNREADY = "pulumi.com/replaceUnready";

/** The metadata of an object of the app namespace that belongs to no one app: its name and part-of label. */
export function sharedObjectMetadata(name: string, namespace: pulumi.Input<string>) {
  return { name, namespace, labels: { "app.kubernetes.io/part-of": "healthflow" } };
}

/** The labels every object of ours carries (app.kubernetes.io's recommended labels, and `app`). */
export function kubernetesLabels(name: string, component: string): Record<string, string> {
  return {
    app: name,
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/part-of": "healthflow",
    "app.kubernetes.io/component": component,
  };
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

const NAME = "cert-manager-api-ready";

/** What `check api` does against the API server: create (as a dry run) CertificateRequests. */
export const API_CHECK_RULES = [
  { apiGroups: ["cert-manager.io"], resources: ["certificaterequests"], verbs: ["create"] },
];

/**
 * cert-manager's own readiness check, as a plain Job. The chart ships it as a post-install Helm
 * hook, and Helm Chart v4 does not run hooks: without it nothing waits for the webhook's CA bundle,
 * and the first ClusterIssuer fails with "x509: certificate signed by unknown authority". Pulumi
 * awaits a Job until it completes, so whatever depends on this one starts only once cert-manager's
 * API really answers. `check api` (v1.21: pkg/util/cmapichecker) dry-run-creates two
 * CertificateRequests in its namespace until the mutating webhook fills one in and the validating
 * webhook denies the other; the Role grants exactly that, as the chart's own hook Role does
 * (templates/startupapicheck-rbac.yaml). Without it every attempt is "forbidden" until --wait ends.
 */
export function certManagerApiReady(args: {
  namespace: pulumi.Input<string>;
  /** Same version as the chart. */
  version: string;
  provider: k8s.Provider;
  parent: pulumi.Resource;
  dependsOn: pulumi.Resource[];
}): k8s.batch.v1.Job {
  const child = { parent: args.parent, provider: args.provider };
  const metadata = { name: NAME, namespace: args.namespace, labels: { app: NAME } };
  const account = new k8s.core.v1.ServiceAccount(
    NAME,
    { metadata, automountServiceAccountToken: true },
    { ...child, dependsOn: args.dependsOn },
  );
  const role = new k8s.rbac.v1.Role(
    NAME,
    { metadata, rules: API_CHECK_RULES },
    { ...child, dependsOn: args.dependsOn },
  );
  const binding = new k8s.rbac.v1.RoleBinding(
    NAME,
    {
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespace }],
    },
    child,
  );
  return new k8s.batch.v1.Job(
    NAME,
    {
      metadata,
      spec: {
        backoffLimit: 4,
        activeDeadlineSeconds: 600,
        template: {
          metadata: { labels: { app: NAME } },
          spec: {
            serviceAccountName: account.metadata.name,
            restartPolicy: "OnFailure",
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
              {
                name: "check",
                image: `quay.io/jetstack/cert-manager-startupapicheck:${args.version}`,
                args: ["check", "api", "--wait=5m", "-v"],
                env: [
                  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                ],
                resources: {
                  requests: { cpu: "10m", memory: "32Mi" },
                  limits: { cpu: "50m", memory: "64Mi" },
                },
                securityContext: {
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
              },
            ],
          },
        },
      },
    },
    { ...child, dependsOn: [...args.dependsOn, binding] },
  );
}

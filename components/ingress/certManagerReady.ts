import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

const NAME = "cert-manager-api-ready";

/**
 * cert-manager's own readiness check, as a plain Job. The chart ships it as a post-install Helm
 * hook, and Helm Chart v4 does not run hooks: without it nothing waits for the webhook's CA bundle,
 * and the first ClusterIssuer fails with "x509: certificate signed by unknown authority". Pulumi
 * awaits a Job until it completes, so whatever depends on this one starts only once cert-manager's
 * API really answers (`check api` dry-runs a Certificate until the webhook accepts it).
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
    { metadata, rules: [{ apiGroups: ["cert-manager.io"], resources: ["certificates"], verbs: ["create"] }] },
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

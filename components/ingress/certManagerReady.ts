import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesLabels, REPLACE_UNREADY } from "../names";

const NAME = "cert-manager-api-ready";
/** How long the check may take, retries included (the Job's activeDeadlineSeconds). */
const API_READY_DEADLINE_SECONDS = 600;
/** Pulumi's await on the Job: the deadline plus time to schedule and pull the image. */
const API_READY_AWAIT = "15m";

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
  const labels = kubernetesLabels(NAME, "readiness-check");
  const metadata = { name: NAME, namespace: args.namespace, labels };
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
      // A run that failed or timed out is replaced on the next update, not awaited again (and failed
      // at once) on every one, which would block the issuers, certificates and Ingresses after it.
      metadata: { ...metadata, annotations: { [REPLACE_UNREADY]: "true" } },
      spec: {
        backoffLimit: 4,
        activeDeadlineSeconds: API_READY_DEADLINE_SECONDS,
        template: {
          metadata: { labels },
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
    // Pulumi awaits a Job 10 minutes unless told otherwise: longer than the Job's own deadline, so a
    // slow start ends as the Job's failure (replaced next time), never as Pulumi's timeout.
    {
      ...child,
      dependsOn: [...args.dependsOn, binding],
      customTimeouts: { create: API_READY_AWAIT, update: API_READY_AWAIT },
    },
  );
}

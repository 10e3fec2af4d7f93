import type * as k8s from "@pulumi/kubernetes";
import { INGRESS_NAMESPACE, MONITORING_NAMESPACE } from "../names";
import { appIdentity, METRICS_PORT } from "./spec";

// The app namespace's network: nothing moves unless a policy below says so (enforced by the VPC
// CNI's network policy agent, switched on in the cluster's add-ons).

type PolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

const fromNamespace = (name: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
});
const tcp = (port: number) => ({ protocol: "TCP", port });

/** name → spec of every NetworkPolicy in the app namespace. */
export function networkPolicies(args: {
  /** The database subnets (RDS, ElastiCache): the only private addresses pods may reach. */
  databaseCidrs: string[];
  /** The VPC block, kept out of the HTTPS rule so "HTTPS anywhere" never means "anything inside". */
  vpcCidr: string;
  /**
   * The HTTP ports of web and api, as numbers: the VPC CNI's policy agent resolves a named port
   * against the wrong pods in ingress rules (aws/aws-network-policy-agent#149), so no rule names one.
   */
  ports: { web: number; api: number };
  /** The mail provider's SMTP port (`healthflow:smtp.port`): the api and worker may reach it. Default: none. */
  smtpPort?: number;
}): Record<string, PolicySpec> {
  const web = appIdentity("web").selector;
  const api = appIdentity("api").selector;
  return {
    "default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    "allow-dns": {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ ...fromNamespace("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [{ protocol: "UDP", port: 53 }, tcp(53)],
        },
      ],
    },
    "allow-ingress-controller": {
      podSelector: { matchExpressions: [{ key: "app", operator: "In", values: [web.app, api.app] }] },
      policyTypes: ["Ingress"],
      ingress: [
        { from: [fromNamespace(INGRESS_NAMESPACE)], ports: [tcp(args.ports.web), tcp(args.ports.api)] },
      ],
    },
    // Prometheus scrapes the api's metrics port (its PodMonitor), and nothing else of the apps.
    "allow-prometheus": {
      podSelector: { matchLabels: api },
      policyTypes: ["Ingress"],
      ingress: [{ from: [fromNamespace(MONITORING_NAMESPACE)], ports: [tcp(METRICS_PORT)] }],
    },
    // web's server-side calls to the api (API_INTERNAL_URL): both ends must allow them, since
    // default-deny covers egress too.
    "allow-web-to-api": {
      podSelector: { matchLabels: api },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: { matchLabels: web } }], ports: [tcp(args.ports.api)] }],
    },
    "allow-web-egress-to-api": {
      podSelector: { matchLabels: web },
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: { matchLabels: api } }], ports: [tcp(args.ports.api)] }],
    },
    "allow-data-egress": {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        { to: args.databaseCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(5432), tcp(6379)] },
      ],
    },
    "allow-pod-identity-agent": {
      podSelector: {},
      policyTypes: ["Egress"],
      // The EKS Pod Identity agent answers on this link-local address of every node.
      egress: [{ to: [{ ipBlock: { cidr: "169.254.170.23/32" } }], ports: [tcp(80)] }],
    },
    ...(args.smtpPort === undefined
      ? {}
      : {
          // Mail from the api and the worker, to the provider's submission port only.
          "allow-smtp-egress": {
            podSelector: {
              matchExpressions: [
                { key: "app", operator: "In", values: [api.app, appIdentity("worker").selector.app] },
              ],
            },
            policyTypes: ["Egress"],
            egress: [
              {
                to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32", args.vpcCidr] } }],
                ports: [tcp(args.smtpPort)],
              },
            ],
          },
        }),
    "allow-https-egress": {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          // AWS APIs (S3, STS via Pod Identity), mail and payment providers; not the instance
          // metadata service, and nothing inside the VPC.
          to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32", args.vpcCidr] } }],
          ports: [tcp(443)],
        },
      ],
    },
  };
}

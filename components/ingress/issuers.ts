import { CLUSTER_ISSUER } from "../names";

// cert-manager's ClusterIssuers: Let's Encrypt staging (to try a change without touching the
// production rate limits) and production (the one the Ingresses name), both solving DNS-01
// through Cloudflare. DNS-01 needs no route from Let's Encrypt to the cluster, so it works behind
// Cloudflare's proxy and with the load balancer closed to everyone but Cloudflare.

/** The Secret (in cert-manager's namespace) holding the Cloudflare token DNS-01 writes TXT records with. */
export const DNS_TOKEN_SECRET = { name: "cloudflare-dns-api-token", key: "api-token" };

export const ACME_SERVERS = {
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
  [CLUSTER_ISSUER]: "https://acme-v02.api.letsencrypt.org/directory",
} as const;

/** Both ClusterIssuers, as Kubernetes objects. */
export function clusterIssuers(args: { acmeEmail: string; dnsZone: string }) {
  return Object.entries(ACME_SERVERS).map(([name, server]) => ({
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name },
    spec: {
      acme: {
        email: args.acmeEmail,
        server,
        // The ACME account's key; cert-manager creates it on first use.
        privateKeySecretRef: { name: `${name}-account-key` },
        solvers: [
          {
            selector: { dnsZones: [args.dnsZone] },
            dns01: {
              cloudflare: {
                apiTokenSecretRef: { name: DNS_TOKEN_SECRET.name, key: DNS_TOKEN_SECRET.key },
              },
            },
          },
        ],
      },
    },
  }));
}

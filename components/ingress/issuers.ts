import { CLUSTER_ISSUER } from "../names";

// cert-manager's ClusterIssuers: Let's Encrypt staging (to try a change without touching the
// production rate limits) and production (the one the Certificates name), both solving DNS-01
// through Cloudflare. DNS-01 needs no route from Let's Encrypt to the cluster, so it works behind
// Cloudflare's proxy and with the load balancer closed to everyone but Cloudflare.
//
// The challenge is answered in a separate zone (`healthflow:dns.cloudflare.acmeChallengeZone`):
// `_acme-challenge.<host>` is a CNAME into it (components/edge/acme.ts), and `cnameStrategy:
// Follow` makes cert-manager write the TXT record at the CNAME's target (cert-manager.io/docs/
// configuration/acme/dns01, "Delegated Domains for DNS01"). Its Cloudflare solver finds the zone
// of that target by asking the API for each parent name in turn (`GET /zones?name=`,
// pkg/issuer/acme/dns/cloudflare FindNearestZoneForFQDN), so a token that sees the challenge zone
// alone finds it, and the stack's own zone stays out of the token's reach.

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
            // The zone of the certificates' names (the stack's zone), not the challenge zone.
            selector: { dnsZones: [args.dnsZone] },
            dns01: {
              cnameStrategy: "Follow",
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

import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

/**
 * The Cloudflare provider of a staging/production stack. It reads its token from the environment
 * (CLOUDFLARE_API_TOKEN; OIDC-held secrets in CI), so the token is never config and never state.
 */
export function cloudflareProvider(): cloudflare.Provider {
  return new cloudflare.Provider("cloudflare", {});
}

/**
 * Cloudflare's published IPv4 ranges (api.cloudflare.com/client/v4/ips), read at every preview and
 * update, so a range Cloudflare adds reaches the load balancer's allow-list on the next deploy.
 * IPv4 only: the load balancer and the cluster are IPv4, so Cloudflare reaches them over IPv4.
 */
export function cloudflareIpv4Ranges(provider: cloudflare.Provider): pulumi.Output<string[]> {
  return cloudflare.getIpRangesOutput({}, { provider }).ipv4Cidrs.apply((cidrs) => {
    if (!cidrs?.length) throw new Error("Cloudflare returned no IPv4 ranges; refusing an empty allow-list");
    return [...cidrs].sort();
  });
}

import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";

// DNS-01 delegation: Let's Encrypt looks for the challenge TXT at `_acme-challenge.<host>` and
// follows a CNAME there ("you can use CNAME records or NS records to delegate answering the
// challenge to other DNS zones": letsencrypt.org/docs/challenge-types, DNS-01). Pointing that
// name into a separate challenge zone lets cert-manager (its ClusterIssuers' `cnameStrategy:
// Follow`) write the TXT there with a token scoped to the challenge zone alone, which cannot
// touch the stack's own zone: not repoint a host, not change a setting.

/** The CNAME that delegates `host`'s ACME challenge: its name, in the stack's zone, and its target. */
export function acmeChallengeCname(host: string, challengeZone: string): { name: string; target: string } {
  // The whole host under the challenge zone: unique per host, and readable in the challenge zone.
  return { name: `_acme-challenge.${host}`, target: `${host}.${challengeZone}` };
}

/** What the delegation of a stack's hosts needs. */
export interface AcmeDelegationArgs {
  /** `healthflow:dns`: the hosts, and `cloudflare.acmeChallengeZone`, the zone cert-manager's token may edit. Required. */
  dns: Settings["dns"];
  /** The stack's zone (components/edge/zone.ts). Required. */
  zoneId: pulumi.Input<string>;
  /** The stack's Cloudflare provider (its deploy token edits the stack's zone). Required. */
  provider: cloudflare.Provider;
}

/**
 * `_acme-challenge.<host>` CNAMEs into the ACME challenge zone, one per host, DNS only (an
 * underscore name is never proxied). They must exist before cert-manager solves a challenge.
 */
export class AcmeDelegation extends pulumi.ComponentResource {
  readonly records: cloudflare.DnsRecord[];

  constructor(name: string, args: AcmeDelegationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:edge:AcmeDelegation", name, {}, opts);
    const { dns } = args;
    if (!dns.cloudflare) {
      throw new Error(`AcmeDelegation needs healthflow:dns.cloudflare.acmeChallengeZone for ${dns.zone}`);
    }
    const challengeZone = dns.cloudflare.acmeChallengeZone;
    const hosts = { app: dns.appHost, api: dns.apiHost };
    this.records = Object.entries(hosts).map(([role, host]) => {
      const { name: recordName, target } = acmeChallengeCname(host, challengeZone);
      return new cloudflare.DnsRecord(
        `${role}-acme-challenge`,
        {
          zoneId: args.zoneId,
          name: recordName,
          type: "CNAME",
          content: target,
          proxied: false,
          ttl: 1,
          comment: `healthflow: ${host}'s ACME DNS-01 challenge, answered in ${challengeZone}; managed by Pulumi`,
        },
        { parent: this, provider: args.provider },
      );
    });
    this.registerOutputs({ records: this.records.map((r) => r.name), challengeZone });
  }
}

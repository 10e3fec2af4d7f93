import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { type OriginPullCertificates, zoneOriginPulls } from "./originPull";
import { zoneRulesets, zoneSettings, type ZoneHosts } from "./rules";

/** What the Cloudflare edge of a staging/production stack needs. */
export interface EdgeArgs {
  /** `healthflow:edge`: the rate limits shared with the ingress and the guide's nginx. Required. */
  edge: Settings["edge"];
  /** `healthflow:dns`, with its `cloudflare` section: the zone, this stack's hosts, whether it owns the zone. Required. */
  dns: Settings["dns"];
  /** The zone's id (components/edge/zone.ts). Required. */
  zoneId: pulumi.Input<string>;
  /** What the proxied records point at: the ingress load balancer's DNS name. Required. */
  originHostname: pulumi.Input<string>;
  /**
   * The origin's certificates for this stack's hosts, whose creation completes only once they are
   * issued (cert-manager Certificates awaited Ready). The zone's `ssl: strict` and the proxied
   * records wait for them, so Cloudflare never sends a visitor to an origin it must refuse (526).
   * Default none.
   */
  originCertificates?: pulumi.Resource[];
  /** The stack's Cloudflare provider (components/edge/provider.ts). Required. */
  /**
   * Authenticated Origin Pulls with our own certificate (components/edge/originPull.ts), for the
   * zone's owner: `originTrusts` is what makes the origin trust its CA. Default: none.
   */
  originPull?: { certificates: OriginPullCertificates; originTrusts: pulumi.Input<pulumi.Resource>[] };
  provider: cloudflare.Provider;
}

/**
 * Cloudflare in front of the ingress: proxied records for the app and API hosts; and, in the one
 * stack that owns the zone (`dns.cloudflare.ownsZone`), everything zone-wide: the TLS settings,
 * the managed WAF, the rate limits, the cache rules and the security headers, covering every
 * stack's hosts in the zone. A stack that does not own its zone declares no setting and no ruleset.
 */
export class Edge extends pulumi.ComponentResource {
  readonly zoneId: pulumi.Output<string>;
  readonly records: cloudflare.DnsRecord[];
  readonly settings: cloudflare.ZoneSetting[] = [];
  readonly rulesets: cloudflare.Ruleset[] = [];

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:edge:Edge", name, {}, opts);
    const { dns } = args;
    if (!dns.cloudflare) {
      throw new Error(`Edge needs healthflow:dns.cloudflare: does this stack own the zone ${dns.zone}?`);
    }
    const child = { parent: this, provider: args.provider };
    this.zoneId = pulumi.output(args.zoneId);
    const certificates = args.originCertificates ?? [];

    const originPulls: pulumi.Resource[] = [];
    if (dns.cloudflare.ownsZone) {
      if (args.originPull) {
        originPulls.push(
          zoneOriginPulls({
            zoneId: this.zoneId,
            certificates: args.originPull.certificates,
            originTrusts: args.originPull.originTrusts,
            provider: args.provider,
            parent: this,
          }),
        );
      }
      for (const setting of zoneSettings()) {
        this.settings.push(
          new cloudflare.ZoneSetting(
            `zone-${setting.id.replace(/_/g, "-")}`,
            { zoneId: this.zoneId, settingId: setting.id, value: setting.value },
            // Full (strict) only once the origin has certificates Cloudflare accepts: before, every
            // proxied host of the zone would answer 526 (the first deploy's order; see docs/edge.md).
            setting.id === "ssl" ? { ...child, dependsOn: certificates } : child,
          ),
        );
      }
      const others = dns.cloudflare.sharedWith ?? [];
      const zoneHosts: ZoneHosts = {
        app: [dns.appHost, ...others.map((s) => s.appHost)],
        api: [dns.apiHost, ...others.map((s) => s.apiHost)],
      };
      for (const ruleset of zoneRulesets(args.edge, zoneHosts)) {
        this.rulesets.push(
          new cloudflare.Ruleset(
            ruleset.phase.replace(/_/g, "-"),
            {
              zoneId: this.zoneId,
              kind: "zone",
              phase: ruleset.phase,
              name: ruleset.name,
              rules: ruleset.rules,
            },
            // A phase has one entry-point ruleset per zone: Cloudflare refuses a second one (error
            // 20217), so a replacement (new name, kind, phase or zone) must delete before it creates.
            { ...child, deleteBeforeReplace: true },
          ),
        );
      }
    }

    // Visitors arrive only once the origin serves TLS that Cloudflare validates, in a zone that
    // already enforces HTTPS and strict TLS.
    const hosts = { app: dns.appHost, api: dns.apiHost };
    this.records = Object.entries(hosts).map(
      ([role, host]) =>
        new cloudflare.DnsRecord(
          `${role}-record`,
          {
            zoneId: this.zoneId,
            name: host,
            type: "CNAME",
            content: args.originHostname,
            // Proxied: visitors reach Cloudflare, never the load balancer (which admits Cloudflare only).
            proxied: true,
            ttl: 1,
            comment: `healthflow ${role} host; managed by Pulumi`,
          },
          // And only once the zone presents our client certificate, which the origin requires.
          { ...child, dependsOn: [...certificates, ...this.settings, ...originPulls] },
        ),
    );

    this.registerOutputs({
      zoneId: this.zoneId,
      records: this.records.map((r) => r.name),
      ownsZone: dns.cloudflare.ownsZone,
      settings: this.settings.map((s) => s.settingId),
      rulesets: this.rulesets.map((r) => r.phase),
    });
  }
}

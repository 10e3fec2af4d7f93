import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { type CloudflarePlan, PLAN_ORDER, planCovers } from "../../settings/catalog/cloudflarePlans";
import { zoneRulesets, zoneSettings, type ZoneHosts } from "./rules";

/** What the Cloudflare edge of a staging/production stack needs. */
export interface EdgeArgs {
  /** `healthflow:edge`: the rate limits shared with the ingress and the guide's nginx. Required. */
  edge: Settings["edge"];
  /** `healthflow:dns`, with its `cloudflare` section: the zone, this stack's hosts, who owns the rulesets. Required. */
  dns: Settings["dns"];
  /** What the proxied records point at: the ingress load balancer's DNS name. Required. */
  originHostname: pulumi.Input<string>;
  /** The stack's Cloudflare provider (components/edge/provider.ts). Required. */
  provider: cloudflare.Provider;
}

/**
 * Cloudflare in front of the ingress: proxied records for the app and API hosts and the zone's
 * TLS settings (every stack declares the same values; Cloudflare never deletes a zone setting, so
 * two declarations cannot conflict); and, in the one stack that owns the zone's rulesets, the
 * managed WAF, the rate limits, the cache rules and the security headers for every stack's hosts.
 */
export class Edge extends pulumi.ComponentResource {
  readonly zoneId: pulumi.Output<string>;
  readonly records: cloudflare.DnsRecord[];
  readonly rulesets: cloudflare.Ruleset[] = [];

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:edge:Edge", name, {}, opts);
    const { dns } = args;
    if (!dns.cloudflare) {
      throw new Error(
        `Edge needs healthflow:dns.cloudflare: does this stack own the rulesets of ${dns.zone}?`,
      );
    }
    const child = { parent: this, provider: args.provider };

    const zone = cloudflare.getZoneOutput({ filter: { name: dns.zone, match: "all" } }, child);
    this.zoneId = zone.apply((z) => {
      if (z.name !== dns.zone || !z.id)
        throw new Error(`Cloudflare has no zone named ${dns.zone} for this token`);
      // The rulesets are sized for healthflow:edge.cloudflarePlan; a cheaper zone would refuse them mid-update.
      const actual = z.plan?.legacyId as CloudflarePlan | undefined;
      if (actual && PLAN_ORDER.includes(actual) && !planCovers(actual, args.edge.cloudflarePlan)) {
        throw new Error(
          `zone ${dns.zone} is on Cloudflare "${actual}", but healthflow:edge.cloudflarePlan is "${args.edge.cloudflarePlan}"`,
        );
      }
      return z.id;
    });

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
          child,
        ),
    );

    for (const setting of zoneSettings()) {
      new cloudflare.ZoneSetting(
        `zone-${setting.id.replace(/_/g, "-")}`,
        { zoneId: this.zoneId, settingId: setting.id, value: setting.value },
        child,
      );
    }

    if (dns.cloudflare.ownsRulesets) {
      const zoneHosts: ZoneHosts = {
        app: [dns.appHost, ...(dns.cloudflare.sharedWith ?? []).map((s) => s.appHost)],
        api: [dns.apiHost, ...(dns.cloudflare.sharedWith ?? []).map((s) => s.apiHost)],
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

    this.registerOutputs({
      zoneId: this.zoneId,
      records: this.records.map((r) => r.name),
      ownsRulesets: dns.cloudflare.ownsRulesets,
      rulesets: this.rulesets.map((r) => r.phase),
    });
  }
}

import * as cloudflare from "@pulumi/cloudflare";
import type * as pulumi from "@pulumi/pulumi";
import { type CloudflarePlan, PLAN_ORDER, planCovers } from "../../settings/catalog/cloudflarePlans";

/**
 * The id of the Cloudflare zone named `zone`, as the stack's token sees it. Refuses a zone the
 * token cannot see, and one on a cheaper plan than `plan`: the rulesets are sized for that plan,
 * and a cheaper zone would refuse them halfway through an update.
 */
export function cloudflareZoneId(args: {
  zone: string;
  plan: CloudflarePlan;
  provider: cloudflare.Provider;
}): pulumi.Output<string> {
  const found = cloudflare.getZoneOutput(
    { filter: { name: args.zone, match: "all" } },
    { provider: args.provider },
  );
  return found.apply((z) => {
    if (z.name !== args.zone || !z.id)
      throw new Error(`Cloudflare has no zone named ${args.zone} for this token`);
    const actual = z.plan?.legacyId as CloudflarePlan | undefined;
    if (actual && PLAN_ORDER.includes(actual) && !planCovers(actual, args.plan)) {
      throw new Error(
        `zone ${args.zone} is on Cloudflare "${actual}", but healthflow:edge.cloudflarePlan is "${args.plan}"`,
      );
    }
    return z.id;
  });
}

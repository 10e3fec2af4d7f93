/**
 * The zones a stack touches: zones it creates (cloudflare.Zone) and zones it only references by id (records,
 * settings and rulesets on a zone created elsewhere). A zone-scoped resource belongs to a zone when its
 * zoneId was built from that Zone resource, else by its known zoneId value.
 */
import * as cloudflare from "@pulumi/cloudflare";
import type { PolicyResource } from "@pulumi/policy";
import { UnknownValueError } from "@pulumi/policy";
import { tryKnown } from "../../lib/known";
import { builtFrom, ofType } from "../graph";

export interface ZoneRef {
  /** Stable identity: the Zone resource's URN, or "id:<zone id>" for a zone managed elsewhere. */
  key: string;
  /** The Zone resource when the stack creates the zone. */
  zone?: PolicyResource;
  label: string;
}

/** Resources whose presence means the stack serves traffic through a zone. */
export const zoneContentClasses = [cloudflare.DnsRecord, cloudflare.Record, cloudflare.ZoneSetting];

function zoneLabel(zone: PolicyResource): string {
  const domain = tryKnown(() => zone.props["name"]);
  return `Cloudflare zone '${domain.known && typeof domain.value === "string" ? domain.value : zone.name}'`;
}

/** The zone a zone-scoped resource belongs to, or the unknown value that prevents knowing it. */
export function zoneOf(resource: PolicyResource, zones: PolicyResource[]): ZoneRef | UnknownValueError {
  const byProperty = zones.find((zone) => builtFrom(resource, zone, "zoneId"));
  if (byProperty) {
    return { key: byProperty.urn, zone: byProperty, label: zoneLabel(byProperty) };
  }
  const zoneId = tryKnown(() => resource.props["zoneId"]);
  if (zoneId.known) {
    return { key: `id:${String(zoneId.value)}`, label: `Cloudflare zone ${String(zoneId.value)}` };
  }
  const byDependency = zones.filter((zone) => builtFrom(resource, zone));
  return byDependency.length === 1
    ? { key: byDependency[0].urn, zone: byDependency[0], label: zoneLabel(byDependency[0]) }
    : zoneId.error;
}

/** Every zone the stack creates or puts content into; `undetermined` holds an unknown that hid one. */
export function zonesOfStack(resources: PolicyResource[]): {
  zones: ZoneRef[];
  undetermined?: UnknownValueError;
} {
  const zoneResources = ofType(resources, cloudflare.Zone);
  const zones = new Map<string, ZoneRef>(
    zoneResources.map((zone) => [zone.urn, { key: zone.urn, zone, label: zoneLabel(zone) }]),
  );
  let undetermined: UnknownValueError | undefined;
  for (const content of ofType(resources, ...zoneContentClasses)) {
    const ref = zoneOf(content, zoneResources);
    if (ref instanceof UnknownValueError) {
      undetermined ??= ref;
    } else if (!zones.has(ref.key)) {
      zones.set(ref.key, ref);
    }
  }
  return { zones: [...zones.values()], undetermined };
}

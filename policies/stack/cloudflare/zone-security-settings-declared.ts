/**
 * A zone setting that the stack does not declare keeps Cloudflare's default (SSL "full" or "flexible",
 * minimum TLS 1.0, no HTTPS redirect). The value rules (cloudflare-zone-ssl-strict, ...) can only check
 * settings that exist, so this rule makes sure every zone declares them.
 */
import * as cloudflare from "@pulumi/cloudflare";
import { UnknownValueError } from "@pulumi/policy";
import { normalizeSettingId, securitySettingIds } from "../../cloudflare/zone-settings";
import { stackPolicy } from "../../lib/define";
import { tryKnown } from "../../lib/known";
import { DeferredUnknowns, ofType } from "../graph";
import { zoneOf, zonesOfStack } from "./zone-links";
import { configSchema } from "../../lib/config";

const requiredSettings = Object.values(securitySettingIds);

export const zoneSecuritySettingsDeclared = stackPolicy({
  name: "cloudflare-zone-security-settings-declared",
  description:
    "Every Cloudflare zone of the stack declares its ssl, min_tls_version and always_use_https settings.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { other: ["Cloudflare zone defaults: SSL full/flexible, minimum TLS 1.0"] },
  tags: ["cloudflare", "security", "tls"],
  remediationSteps:
    'Declare cloudflare.ZoneSetting resources for the zone: ssl "strict", min_tls_version "1.2", ' +
    'always_use_https "on".',
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateStack: (args, reportViolation) => {
    const deferred = new DeferredUnknowns();
    const { zones, undetermined } = zonesOfStack(args.resources);
    const zoneResources = ofType(args.resources, cloudflare.Zone);
    const declared = new Map<string, Set<string>>();
    // A setting whose zone or id is unknown might be the one a zone seems to lack: then missing ones are
    // not reported.
    let unlinked: UnknownValueError | undefined;
    for (const setting of ofType(args.resources, cloudflare.ZoneSetting)) {
      const zone = zoneOf(setting, zoneResources);
      const settingId = tryKnown(() => String(setting.props["settingId"]));
      if (zone instanceof UnknownValueError) {
        unlinked ??= zone;
        continue;
      }
      if (!settingId.known) {
        unlinked ??= settingId.error;
        continue;
      }
      const ids = declared.get(zone.key) ?? new Set<string>();
      ids.add(normalizeSettingId(settingId.value));
      declared.set(zone.key, ids);
    }
    for (const zone of zones) {
      const ids = declared.get(zone.key) ?? new Set<string>();
      const missing = requiredSettings.filter((id) => !ids.has(normalizeSettingId(id)));
      if (missing.length > 0 && unlinked) {
        deferred.remember(unlinked);
      } else if (missing.length > 0) {
        reportViolation(
          `Declare cloudflare.ZoneSetting resources ${missing.map((id) => `'${id}'`).join(", ")} for ${zone.label}.`,
          zone.zone?.urn,
        );
      }
    }
    if (undetermined) {
      deferred.remember(undetermined);
    }
    deferred.rethrow();
  },
});

/**
 * Cloudflare zone settings as @pulumi/cloudflare v6 declares them: one `cloudflare.ZoneSetting` per setting,
 * `settingId` plus `value`. The API speaks snake_case ids ("min_tls_version"); the SDK docs list camelCase
 * ("minTlsVersion"); both reach the provider, so ids are compared in a normalised form.
 */
import * as cloudflare from "@pulumi/cloudflare";
import type { ReportViolation, ResourceValidation } from "@pulumi/policy";
import { tryKnown } from "../lib/known";

export function normalizeSettingId(settingId: string): string {
  const lowerCase = settingId.toLowerCase();
  return lowerCase.replace(/[_-]/g, "");
}

export const securitySettingIds = {
  ssl: "ssl",
  minTlsVersion: "min_tls_version",
  alwaysUseHttps: "always_use_https",
} as const;

export interface ZoneSettingView {
  /** The zone's id when known (it is computed when the zone is created in the same stack). */
  zoneId: string | undefined;
  resourceName: string;
  value: unknown;
}

export function describeZoneSetting(setting: ZoneSettingView, settingId: string): string {
  return `zone setting '${settingId}' (${setting.resourceName}${setting.zoneId ? `, zone ${setting.zoneId}` : ""})`;
}

/** A resource validation for the ZoneSetting resources of one setting id; other settings are not applicable. */
export function validateZoneSetting<C extends object>(
  settingId: string,
  readConfig: (args: Parameters<ResourceValidation>[0]) => C,
  check: (setting: ZoneSettingView, config: C, reportViolation: ReportViolation) => void,
): ResourceValidation {
  return (args, reportViolation) => {
    const setting = args.asType(cloudflare.ZoneSetting);
    if (!setting) {
      return args.notApplicable("Policy only applies to cloudflare.ZoneSetting resources.");
    }
    if (normalizeSettingId(setting.settingId) !== normalizeSettingId(settingId)) {
      return args.notApplicable(`Policy only applies to the '${settingId}' zone setting.`);
    }
    const zoneId = tryKnown(() => setting.zoneId);
    const view = {
      zoneId: zoneId.known ? zoneId.value : undefined,
      resourceName: args.name,
      value: setting.value,
    };
    check(view, readConfig(args), reportViolation);
  };
}

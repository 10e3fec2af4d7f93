/** Plain-HTTP requests are redirected at the edge, so no form, cookie or token ever travels unencrypted. */
import { resourcePolicy } from "../lib/define";
import { describeZoneSetting, securitySettingIds, validateZoneSetting } from "./zone-settings";
import { configSchema } from "../lib/config";

export const zoneAlwaysUseHttps = resourcePolicy({
  name: "cloudflare-zone-always-use-https",
  description: "Cloudflare zones redirect every HTTP request to HTTPS.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { other: ["Cloudflare Always Use HTTPS"] },
  tags: ["cloudflare", "security", "tls"],
  remediationSteps: 'Set the cloudflare.ZoneSetting with settingId "always_use_https" to value "on".',
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateResource: validateZoneSetting(
    securitySettingIds.alwaysUseHttps,
    () => ({}),
    (setting, _config, reportViolation) => {
      if (setting.value !== "on") {
        reportViolation(
          `Set ${describeZoneSetting(setting, securitySettingIds.alwaysUseHttps)} to "on" (it is "${String(setting.value)}").`,
        );
      }
    },
  ),
});

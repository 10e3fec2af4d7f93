/** TLS 1.0 and 1.1 are deprecated (RFC 8996); browsers that still need them are not our patients' browsers. */
import { configSchema, readConfig } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import { describeZoneSetting, securitySettingIds, validateZoneSetting } from "./zone-settings";

const tlsVersions = ["1.0", "1.1", "1.2", "1.3"];

const defaults = { minimumVersion: "1.2" };

export const zoneMinTlsVersion = resourcePolicy({
  name: "cloudflare-zone-min-tls-version",
  description: "Cloudflare zones accept TLS 1.2 or newer only.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { other: ["RFC 8996", "Cloudflare minimum TLS version"] },
  tags: ["cloudflare", "security", "tls"],
  remediationSteps:
    'Set the cloudflare.ZoneSetting with settingId "min_tls_version" to value "1.2" (or "1.3").',
  configSchema: configSchema({
    minimumVersion: {
      type: "string",
      enum: tlsVersions,
      description: "Lowest acceptable value of the 'min_tls_version' zone setting.",
      default: defaults.minimumVersion,
    },
  }),
  validateResource: validateZoneSetting(
    securitySettingIds.minTlsVersion,
    (args) => readConfig(args, defaults),
    (setting, config, reportViolation) => {
      const version = tlsVersions.indexOf(String(setting.value));
      if (version < tlsVersions.indexOf(config.minimumVersion)) {
        reportViolation(
          `Set ${describeZoneSetting(setting, securitySettingIds.minTlsVersion)} to "${config.minimumVersion}" ` +
            `or newer (it is "${String(setting.value)}").`,
        );
      }
    },
  ),
});

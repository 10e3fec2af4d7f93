/**
 * "Flexible" and "Full" SSL let Cloudflare talk to the origin over plain HTTP or accept any certificate, so
 * patient data crosses the internet unprotected or to an impostor. Only "strict" validates the origin.
 */
import { configSchema, readConfig, stringList } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import { describeZoneSetting, securitySettingIds, validateZoneSetting } from "./zone-settings";

const defaults = { allowedModes: ["strict"] };

export const zoneSslStrict = resourcePolicy({
  name: "cloudflare-zone-ssl-strict",
  description: "Cloudflare zones use SSL mode strict (Full (strict)) towards the origin.",
  severity: "critical",
  enforcementLevel: "mandatory",
  mirrors: { other: ["Cloudflare SSL/TLS encryption modes: Full (strict)"] },
  tags: ["cloudflare", "security", "tls", "lgpd"],
  remediationSteps:
    'Set the cloudflare.ZoneSetting with settingId "ssl" to value "strict" and serve a valid certificate ' +
    "(cert-manager or a Cloudflare Origin CA certificate) from the ingress.",
  configSchema: configSchema({
    allowedModes: stringList("SSL modes accepted for the 'ssl' zone setting.", defaults.allowedModes),
  }),
  validateResource: validateZoneSetting(
    securitySettingIds.ssl,
    (args) => readConfig(args, defaults),
    (setting, config, reportViolation) => {
      if (!config.allowedModes.includes(String(setting.value))) {
        reportViolation(
          `Set ${describeZoneSetting(setting, securitySettingIds.ssl)} to "strict" (it is "${String(setting.value)}").`,
        );
      }
    },
  ),
});

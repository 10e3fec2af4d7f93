import type { Settings } from "../../settings";
import { type NginxEnvironment, renderNginxConf } from "./render";

/**
 * The guide's nginx for a stack: edge rules and hostnames from its settings, the apps by their
 * service names (compose service / Docker network alias) on the ports the settings give them.
 * `environment` overrides what differs where it runs (see NginxEnvironment).
 */
export function nginxConfFromSettings(
  settings: Pick<Settings, "edge" | "dns" | "apps">,
  environment: Partial<NginxEnvironment> = {},
): string {
  const { edge, dns, apps } = settings;
  return renderNginxConf(
    { edge, hosts: { app: dns.appHost, api: dns.apiHost } },
    {
      // The schema requires a port for web and api; the fallbacks are the guide's, for the types.
      upstreams: { api: `api:${apps.api.port ?? 3001}`, web: `web:${apps.web.port ?? 3000}` },
      ...environment,
    },
  );
}

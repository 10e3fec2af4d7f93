import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nginxConfFromSettings } from "../../components/nginx/fromSettings";
import { settingsOfStackConfig } from "../../tools/plan/settings";
import { blockOf, parseConf, serverFor, value } from "../components/nginx/parseConf";
import { plannedStack } from "../harness/plans";
import { readStackConfig, stackNames } from "../../tools/engine/stackConfig";

// Every stack's plan carries the guide's nginx.conf rendered from that stack's settings: the spec
// of its edge rules, even where nginx itself does not run (tests/components/nginx proves the file).

const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-plan-nginx-"));
afterAll(() => fs.rmSync(outRoot, { recursive: true, force: true }));

describe("the plan's nginx.conf", () => {
  test.each(stackNames())(
    "%s: writes nginx/nginx.conf rendered from the stack's own settings",
    async (stack) => {
      const result = plannedStack(stack);
      const written = fs.readFileSync(path.join(result.dir!, "nginx", "nginx.conf"), "utf8");
      const settings = settingsOfStackConfig(readStackConfig(stack));
      expect(written).toBe(nginxConfFromSettings(settings));
      const conf = parseConf(written);
      expect(value(serverFor(conf, settings.dns.apiHost), "listen")).toBe("443 ssl http2");
      expect(
        value(
          blockOf(
            serverFor(conf, settings.dns.apiHost),
            "location",
            "~*",
            `^${settings.edge.rateLimits.auth.path}`,
          ),
          "limit_req",
        ),
      ).toBe(`zone=auth burst=${settings.edge.rateLimits.auth.burst} nodelay`);
    },
  );
});

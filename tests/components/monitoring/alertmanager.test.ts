import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import * as YAML from "js-yaml";
import {
  alertmanagerConfig,
  alertmanagerFile,
  HEARTBEAT_FILE,
  RECEIVER_FILE,
  receiverConfig,
} from "../../../components/monitoring/values";
import { ALERT_RECEIVERS, type AlertReceiverKind } from "../../../settings";
import { plannedStack } from "../../harness/plans";
import { readStackConfig, stackNames } from "../../../tools/engine/stackConfig";
import { vendoredValues } from "./helmValues";

// Alertmanager's own tool on the config each receiver kind renders. amtool comes from Debian
// bookworm's prometheus-alertmanager (.github/apt-packages.txt), which is Alertmanager 0.25.0;
// kube-prometheus-stack 88.5.3 deploys v0.34.0. amtool 0.25 knows slack_configs.api_url_file and
// pagerduty_configs.routing_key_file, but predates webhook_configs.url_file (0.26) and
// msteamsv2_configs (0.28): what it cannot read is proven against Alertmanager v0.34.0's source
// instead (SOURCE below), and said so in docs/monitoring.md.

const AMTOOL = "/usr/bin/amtool";
const run = promisify(execFile);

async function amtool(file: string): Promise<string> {
  if (!fs.existsSync(AMTOOL)) {
    throw new Error(
      `${AMTOOL} is missing: install Debian's prometheus-alertmanager package (listed in .github/apt-packages.txt)`,
    );
  }
  try {
    const { stdout, stderr } = await run(AMTOOL, ["check-config", file], { timeout: 20000 });
    return stdout + stderr;
  } catch (e) {
    const failure = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `amtool check-config failed:\n${failure.stdout ?? ""}${failure.stderr ?? failure.message}`,
      {
        cause: e,
      },
    );
  }
}

/** amtool's version, [major, minor]: what it can read depends on it. */
async function amtoolVersion(): Promise<[number, number]> {
  const { stdout } = await run(AMTOOL, ["--version"], { timeout: 20000 });
  const [, major, minor] = /version (\d+)\.(\d+)\./.exec(stdout)!;
  return [Number(major), Number(minor)];
}
const atLeast = ([major, minor]: [number, number], wanted: number) => major > 0 || minor >= wanted;

type Config = ReturnType<typeof alertmanagerConfig>;
type Receiver = Config["receivers"][number] & Record<string, unknown>;

/**
 * The config as an amtool older than 0.26 can read it: a webhook's `url_file` becomes `url`, the
 * same field before 0.26 added the file variant (its name and rules are checked against the source
 * below). Nothing else changes, so routes, matchers, timings and the other receivers are amtool's
 * to judge. A newer amtool gets the config as rendered.
 */
let version: [number, number];
beforeAll(async () => {
  version = await amtoolVersion();
});
function forAmtool025(config: Config): Config {
  if (atLeast(version, 26)) return config;
  const copy = structuredClone(config) as Config;
  for (const receiver of copy.receivers as Receiver[]) {
    const hooks = receiver.webhook_configs as Record<string, unknown>[] | undefined;
    for (const hook of hooks ?? []) {
      expect(typeof hook.url_file).toBe("string");
      delete hook.url_file;
      hook.url = "https://alertmanager-0-25.invalid/";
    }
  }
  return copy;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-alertmanager-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, config: unknown) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof config === "string" ? config : YAML.dump(config));
  return file;
};

/** The kinds amtool 0.25 can read, as Alertmanager's release notes and source date them. */
const AMTOOL_025_KINDS: AlertReceiverKind[] = ["slack", "pagerduty", "webhook"];

describe("the Alertmanager config, checked by amtool", () => {
  test.each(AMTOOL_025_KINDS)(
    "%s, with the heartbeat, url_file rewritten as url for Debian's amtool 0.25: amtool check-config accepts it",
    async (kind) => {
      const config = alertmanagerConfig({ receiver: kind, heartbeat: true });
      const output = await amtool(write(`${kind}.yaml`, forAmtool025(config)));
      expect(output).toMatch(/SUCCESS/);
      expect(output).toContain("3 receivers");
    },
  );

  test("slack and pagerduty are checked as rendered, *_file fields included (no rewrite)", async () => {
    for (const kind of ["slack", "pagerduty"] as const) {
      const output = await amtool(
        write(`${kind}-only.yaml`, alertmanagerConfig({ receiver: kind, heartbeat: false })),
      );
      expect(output).toMatch(/SUCCESS/);
    }
  });

  test("every stack's plan writes the config its settings deploy, which amtool accepts", async () => {
    const cloud = stackNames().filter((s) => readStackConfig(s).config["healthflow:environment"] !== "dev");
    expect(cloud).toEqual(["production", "staging"]);
    for (const stack of cloud) {
      const text = fs.readFileSync(path.join(plannedStack(stack).dir, "alertmanager.yaml"), "utf8");
      // The stack files hold no secrets: no receiver yet, so the null receiver.
      expect(text).toBe(alertmanagerFile({ receiver: undefined, heartbeat: false }));
      expect(await amtool(write(`${stack}.yaml`, forAmtool025(YAML.load(text) as Config)))).toMatch(
        /SUCCESS/,
      );
    }
    expect(fs.existsSync(path.join(plannedStack("dev").dir, "alertmanager.yaml"))).toBe(false);
  });

  test("the check is real: amtool refuses a route to an undefined receiver and a receiver without its key", async () => {
    const config = alertmanagerConfig({ receiver: "slack", heartbeat: true });
    const dangling = { ...config, receivers: config.receivers.filter((r) => r.name !== "heartbeat") };
    await expect(amtool(write("dangling.yaml", forAmtool025(dangling)))).rejects.toThrow(
      /undefined receiver "heartbeat"/,
    );
    const keyless = { ...config, receivers: [{ name: "null" }, { name: "slack", pagerduty_configs: [{}] }] };
    await expect(amtool(write("keyless.yaml", forAmtool025(keyless as Config)))).rejects.toThrow(
      /missing service or routing key in PagerDuty config/,
    );
  });

  test("msteamsv2: amtool checks it where it knows the kind (>= 0.28); Debian's 0.25 refuses it, the source below proves it", async () => {
    const file = write("msteams.yaml", alertmanagerConfig({ receiver: "msteamsv2", heartbeat: false }));
    if (atLeast(version, 28)) await expect(amtool(file)).resolves.toMatch(/SUCCESS/);
    else await expect(amtool(file)).rejects.toThrow(/field msteamsv2_configs not found/);
  });
});

/**
 * Alertmanager v0.34.0 (tag v0.34.0, commit 085f0ef7eb41da24cab8cd000f1345b6250f2edb), the image
 * kube-prometheus-stack 88.5.3 deploys: each kind's YAML fields (the struct tags) and the rule of
 * its UnmarshalYAML on the credential — exactly one of the inline value and its file.
 */
const SOURCE: Record<string, { file: string; fields: string[]; oneOf: [string, string] }> = {
  slack_configs: {
    file: "config/notifiers.go (SlackConfig)",
    fields: [
      "send_resolved",
      "http_config",
      "api_url",
      "api_url_file",
      "app_token",
      "app_token_file",
      "channel",
      "title",
      "text",
    ],
    oneOf: ["api_url", "api_url_file"],
  },
  msteamsv2_configs: {
    file: "notify/msteamsv2/config.go (MSTeamsV2Config)",
    fields: ["send_resolved", "http_config", "webhook_url", "webhook_url_file", "title", "text"],
    oneOf: ["webhook_url", "webhook_url_file"],
  },
  pagerduty_configs: {
    file: "notify/pagerduty/config.go (PagerdutyConfig)",
    fields: [
      "send_resolved",
      "http_config",
      "service_key",
      "service_key_file",
      "routing_key",
      "routing_key_file",
      "url",
      "severity",
    ],
    oneOf: ["routing_key", "routing_key_file"],
  },
  webhook_configs: {
    file: "notify/webhook/config.go (WebhookConfig)",
    fields: ["send_resolved", "http_config", "url", "url_file", "max_alerts", "timeout", "payload"],
    oneOf: ["url", "url_file"],
  },
};

describe("the receivers against Alertmanager v0.34.0's source", () => {
  test("the chart deploys an Alertmanager that has every kind offered (msteamsv2 since 0.28, url_file since 0.26)", () => {
    const values = vendoredValues("kube-prometheus-stack", "88.5.3") as any;
    const tag = values.alertmanager.alertmanagerSpec.image.tag as string;
    expect(tag).toBe("v0.34.0");
    const [major, minor] = tag.slice(1).split(".").map(Number);
    expect(major > 0 || minor >= 28).toBe(true);
  });

  test.each(ALERT_RECEIVERS)(
    "%s: only fields the source declares, its credential through the *_file field alone",
    (kind) => {
      const receiver = receiverConfig(kind) as Receiver;
      const [key, configs] = Object.entries(receiver).find(([k]) => k.endsWith("_configs"))! as [
        string,
        Record<string, unknown>[],
      ];
      const source = SOURCE[key];
      expect(source).toBeDefined();
      expect(configs).toHaveLength(1);
      for (const field of Object.keys(configs[0]))
        expect([source.file, field, source.fields.includes(field)]).toEqual([source.file, field, true]);
      const [inline, file] = source.oneOf;
      expect([configs[0][inline], configs[0][file]]).toEqual([undefined, RECEIVER_FILE]);
      expect(configs[0].send_resolved).toBe(true);
    },
  );

  test("the heartbeat is a webhook whose URL comes from its file, and Watchdog reaches it every minute", () => {
    const config = alertmanagerConfig({ receiver: "msteamsv2", heartbeat: true });
    const heartbeat = config.receivers.find((r) => r.name === "heartbeat") as Receiver;
    const [hook] = heartbeat.webhook_configs as Record<string, unknown>[];
    expect(Object.keys(hook).every((f) => SOURCE.webhook_configs.fields.includes(f))).toBe(true);
    expect([hook.url, hook.url_file]).toEqual([undefined, HEARTBEAT_FILE]);
    const [watchdog] = config.route.routes;
    expect(watchdog).toEqual({
      receiver: "heartbeat",
      matchers: ['alertname = "Watchdog"'],
      group_wait: "0s",
      group_interval: "1m",
      repeat_interval: "1m",
    });
    expect(config.route.receiver).toBe("msteamsv2");
  });
});

import { readStackConfig } from "../../tools/engine/stackConfig";
import { problemsOf, settingsOf as parse } from "../harness/settings";

// The alerting keys (receiver kind, its credential, the heartbeat, replicas), the key they replace,
// and the workload checks that relate the apps to fixed ports and the ingress fleet.

const structured = (stack: string, key: string) =>
  JSON.parse(readStackConfig(stack).config[`healthflow:${key}`]);
const withMonitoring = (stack: string, patch: Record<string, unknown>) => ({
  "healthflow:monitoring": { ...structured(stack, "monitoring"), ...patch },
});
const PAGERDUTY_KEY = "0123456789abcdef0123456789ABCDEF";

describe("the alert receiver", () => {
  test("the stack files name a kind; the credential comes from `pulumi config set --secret`", () => {
    expect(parse("staging").monitoring.alertReceiver).toBe("slack");
    expect(parse("production").monitoring.alertReceiver).toBe("pagerduty");
    expect(parse("production").secrets.alertReceiverSecret).toBeUndefined();
  });

  test.each([
    ["slack", "https://hooks.slack.com/services/T0/B0/abc"],
    ["msteamsv2", "https://prod-00.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke"],
    ["pagerduty", PAGERDUTY_KEY],
    ["webhook", "https://alerts.example.com/alertmanager"],
  ])("%s takes its own kind of credential", (kind, secret) => {
    const settings = parse("staging", {
      ...withMonitoring("staging", { alertReceiver: kind }),
      "healthflow:alertReceiverSecret": { secret },
    });
    expect(settings.monitoring.alertReceiver).toBe(kind);
  });

  test.each([
    ["slack", PAGERDUTY_KEY, "the Slack incoming webhook's https:// URL"],
    ["msteamsv2", "http://teams.example.com/hook", "the Microsoft Teams Workflows webhook's https:// URL"],
    ["pagerduty", "https://events.pagerduty.com/v2/enqueue", "the PagerDuty Events API v2 integration key"],
    // PagerDuty's integration keys are exactly 32 characters: one more, before or after, is not one.
    ["pagerduty", `${PAGERDUTY_KEY}0`, "the PagerDuty Events API v2 integration key"],
    ["pagerduty", `0${PAGERDUTY_KEY}`, "the PagerDuty Events API v2 integration key"],
    ["webhook", "not a url", "the https:// URL that receives Alertmanager's webhook JSON"],
  ])("%s refuses a credential of another kind, without echoing it", (kind, secret, expected) => {
    const message = problemsOf("staging", {
      ...withMonitoring("staging", { alertReceiver: kind }),
      "healthflow:alertReceiverSecret": { secret },
    });
    expect(message).toContain(`healthflow:alertReceiverSecret = (a secret, not shown): must be ${expected}`);
    expect(message).not.toContain(secret);
  });

  test("a credential without a kind is refused: Alertmanager would not know which receiver reads it", () => {
    const message = problemsOf("staging", {
      ...withMonitoring("staging", { alertReceiver: undefined }),
      "healthflow:alertReceiverSecret": { secret: "https://hooks.slack.com/services/T0/B0/abc" },
    });
    expect(message).toContain(
      'healthflow:monitoring.alertReceiver = (not set): is required when healthflow:alertReceiverSecret is set, to say what it is; one of: "slack", "msteamsv2", "pagerduty", "webhook"',
    );
    expect(problemsOf("staging", withMonitoring("staging", { alertReceiver: "teams" }))).toContain(
      'healthflow:monitoring.alertReceiver = "teams": must be one of: "slack", "msteamsv2", "pagerduty", "webhook"',
    );
  });

  test("the old alertWebhookUrl says what replaced it and how to move its value, never echoing it", () => {
    const url = "https://hooks.slack.com/services/T0/B0/must-not-leak";
    const message = problemsOf("production", { "healthflow:alertWebhookUrl": { secret: url } });
    expect(message).toContain(
      "healthflow:alertWebhookUrl = (a secret, not shown): was replaced by healthflow:alertReceiverSecret (the credential) and healthflow:monitoring.alertReceiver (its kind)",
    );
    expect(message).toContain(
      'pulumi config set --secret healthflow:alertReceiverSecret "$(pulumi config get healthflow:alertWebhookUrl)"',
    );
    expect(message).toContain("pulumi config rm healthflow:alertWebhookUrl");
    expect(message).not.toContain("must-not-leak");
    expect(message).not.toContain("is not a known key");
  });
});

describe("Prometheus and Alertmanager replicas", () => {
  test("staging and production must set them; production needs two", () => {
    expect(parse("production").monitoring.replicas).toBe(2);
    expect(problemsOf("staging", withMonitoring("staging", { replicas: undefined }))).toContain(
      'healthflow:monitoring.replicas = (not set): is required for environment "staging"',
    );
    expect(problemsOf("production", withMonitoring("production", { replicas: 1 }))).toContain(
      "healthflow:monitoring.replicas = 1: must be >= 2 in production",
    );
    expect(problemsOf("staging", withMonitoring("staging", { replicas: 5 }))).toContain(
      "healthflow:monitoring.replicas = 5: must be <= 3",
    );
  });
});

describe("the apps against fixed ports and the ingress fleet", () => {
  test("no app may listen on the api's metrics port", () => {
    const apps = structured("staging", "apps");
    apps.worker.port = 9464;
    expect(problemsOf("staging", { "healthflow:apps": apps })).toContain(
      "healthflow:apps.worker.port = 9464: must not be 9464: the api serves its metrics there",
    );
  });

  test("the auth rate limit leaves every controller replica at least one request a minute", () => {
    const edge = structured("production", "edge");
    const { maxReplicas } = structured("production", "ingress").controller;
    edge.rateLimits.auth.requestsPerMinute = maxReplicas - 1;
    expect(problemsOf("production", { "healthflow:edge": edge })).toContain(
      `healthflow:edge.rateLimits.auth.requestsPerMinute = ${maxReplicas - 1}: must be >= ingress.controller.maxReplicas (${maxReplicas})`,
    );
    // One request a minute per replica (rate / replicas, rounded down) is a rate nginx runs.
    edge.rateLimits.auth.requestsPerMinute = maxReplicas;
    expect(parse("production", { "healthflow:edge": edge }).edge.rateLimits.auth.requestsPerMinute).toBe(
      maxReplicas,
    );
  });
});

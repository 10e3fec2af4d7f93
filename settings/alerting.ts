import { ALERT_RECEIVERS, type ConfigProblem, SECRET_VALUE, type StackConfig } from "./schema";

// Where alerts go: the receiver's kind (`monitoring.alertReceiver`), its credential
// (`alertReceiverSecret`) and the dead man's switch (`alertHeartbeatUrl`). Checked after the shape
// parsed (settings/checks.ts runs it); the values of the secrets are never echoed.

/** The key Alertmanager's receiver used to have, and what replaced it (a renamed key is not "unknown"). */
export const RENAMED_KEYS: Record<string, string> = {
  alertWebhookUrl:
    'was replaced by healthflow:alertReceiverSecret (the credential) and healthflow:monitoring.alertReceiver (its kind): it fed Alertmanager\'s generic webhook, which Slack, Teams and PagerDuty refuse. Move it with `pulumi config set --secret healthflow:alertReceiverSecret "$(pulumi config get healthflow:alertWebhookUrl)"`, set monitoring.alertReceiver to the service the URL belongs to ("slack", "msteamsv2") or "webhook" for a receiver of Alertmanager\'s own JSON, then `pulumi config rm healthflow:alertWebhookUrl`',
};

/** What the credential of each kind is, for the messages. */
const CREDENTIAL: Record<(typeof ALERT_RECEIVERS)[number], string> = {
  slack: "the Slack incoming webhook's https:// URL",
  msteamsv2: "the Microsoft Teams Workflows webhook's https:// URL",
  pagerduty: "the PagerDuty Events API v2 integration key (32 letters and digits), not a URL",
  webhook: "the https:// URL that receives Alertmanager's webhook JSON",
};

const isHttpsUrl = (value: string) => {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
};

/** The credential fits the receiver's kind (PagerDuty's integration keys are 32 alphanumerics). */
function credentialFits(kind: (typeof ALERT_RECEIVERS)[number], secret: string): boolean {
  return kind === "pagerduty" ? /^[A-Za-z0-9]{32}$/.test(secret) : isHttpsUrl(secret);
}

/** The receiver's kind and credential go together, and the credential is what the kind expects. */
export function alertingProblems(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const kind = config.monitoring.alertReceiver;
  const secret = config.alertReceiverSecret;
  const kinds = ALERT_RECEIVERS.map((k) => JSON.stringify(k)).join(", ");
  if (secret !== undefined && kind === undefined) {
    problems.push({
      path: ["monitoring", "alertReceiver"],
      value: undefined,
      message: `is required when healthflow:alertReceiverSecret is set, to say what it is; one of: ${kinds}`,
    });
  }
  if (secret !== undefined && kind !== undefined && !credentialFits(kind, secret)) {
    problems.push({
      path: ["alertReceiverSecret"],
      value: SECRET_VALUE,
      message: `must be ${CREDENTIAL[kind]} (monitoring.alertReceiver is "${kind}")`,
    });
  }
  if (config.environment === "production" && (config.monitoring.replicas ?? 0) < 2) {
    problems.push({
      path: ["monitoring", "replicas"],
      value: config.monitoring.replicas,
      message:
        "must be >= 2 in production: with one Prometheus or Alertmanager, a node drain or a crash silences every alert",
    });
  }
  return problems;
}

/**
 * Production's alerts must reach someone, and someone must notice when they stop: an update
 * (`pulumi up`) needs both secrets; a preview only reports the rest. Reads the raw values, so it
 * is reported even when other keys fail to parse.
 */
export function deployAlertingProblems(values: Record<string, string>, namespace: string): ConfigProblem[] {
  if (values.environment !== "production") return [];
  const problems: ConfigProblem[] = [];
  if (!values.alertReceiverSecret) {
    problems.push({
      path: ["alertReceiverSecret"],
      value: undefined,
      message: `is required to deploy production (Alertmanager would page no one): set ${namespace}:monitoring.alertReceiver, then pulumi config set --secret ${namespace}:alertReceiverSecret <its URL or key>`,
    });
  }
  if (!values.alertHeartbeatUrl) {
    problems.push({
      path: ["alertHeartbeatUrl"],
      value: undefined,
      message: `is required to deploy production (nothing would notice Prometheus or Alertmanager going down): pulumi config set --secret ${namespace}:alertHeartbeatUrl <the dead man's switch URL>`,
    });
  }
  return problems;
}

import type { InvokeAnswer } from "../../tools/engine/engine";
import { AWS_ANSWERS } from "../../tools/engine/awsAnswers";
import { ConfigOverride, readStackConfig } from "../../tools/engine/stackConfig";

// A stack as it would be once wired to a real account: the stack file's placeholders replaced,
// the secrets an update needs set, and the harness's AWS answers coming from that account.

/** An account that is not AWS's documentation account. */
export const REAL_ACCOUNT = "210987654321";

/**
 * The secrets a cloud stack's update needs (settings refuse an update without them): the DNS-01 token,
 * the SMTP password, and the alert receiver's credential in the shape of the stack's `monitoring.alertReceiver` (staging's
 * Slack webhook, production's PagerDuty integration key) with the dead man's switch URL.
 */
export function secretsOf(stack: string): Record<string, ConfigOverride> {
  const { config } = readStackConfig(stack);
  const receiver = JSON.parse(config["healthflow:monitoring"] ?? "{}").alertReceiver;
  return {
    "healthflow:cloudflareDnsToken": { secret: "cf-token" },
    "healthflow:alertReceiverSecret": {
      secret:
        receiver === "pagerduty"
          ? "0123456789abcdef0123456789ABCDEF"
          : "https://hooks.slack.com/services/T0/B0/x",
    },
    "healthflow:alertHeartbeatUrl": { secret: "https://hc-ping.com/6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b" },
    "healthflow:smtpPassword": { secret: "smtp-password" },
  };
}

/** Staging's secrets (the stack most tests deploy). */
export const SECRETS = secretsOf("staging");

export const role = (name: string, account = REAL_ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;

/** The stack file with every placeholder replaced by a real-looking value, and the secrets set. */
export function realValues(stack: string): Record<string, ConfigOverride> {
  const { config } = readStackConfig(stack);
  const section = (key: string) => JSON.parse(config[`healthflow:${key}`]);
  return {
    ...secretsOf(stack),
    "healthflow:cluster": {
      ...section("cluster"),
      adminRoleArns: [role("healthflow-platform-admin")],
      readOnlyRoleArns: [role("healthflow-developer")],
      previewRoleArns: [role("healthflow-ci-preview")],
      // Production's endpoint stays private (none); staging's is open to a real range.
      publicAccessCidrs: section("cluster").publicAccessCidrs.length ? ["177.71.128.0/21"] : [],
    },
    "healthflow:runners": {
      ...section("runners"),
      connectionArn: `arn:aws:codeconnections:sa-east-1:${REAL_ACCOUNT}:connection/8d2e6a4b-1c3f-4e5a-9b7d-0f1e2d3c4b5a`,
    },
    "healthflow:ingress": { ...section("ingress"), acmeEmail: "plataforma@healthflow.com.br" },
    "healthflow:monitoring": { ...section("monitoring"), alarmEmails: ["plantao@healthflow.com.br"] },
    "healthflow:smtp": { ...section("smtp"), host: "email-smtp.sa-east-1.amazonaws.com" },
  };
}

/** The harness's answers as the real account gives them, `arn` being who runs the program. */
export function realAccount(arn: string): Record<string, InvokeAnswer> {
  const account = /::(\d{12}):/.exec(arn)?.[1] ?? REAL_ACCOUNT;
  return {
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
      accountId: account,
      arn,
      userId: "AROAEXAMPLEDEPLOYER01:session",
      id: account,
    }),
    "aws:iam/getRole:getRole": (inputs) => ({
      ...AWS_ANSWERS["aws:iam/getRole:getRole"](inputs),
      arn: `arn:aws:iam::${account}:role/aws-service-role/autoscaling.amazonaws.com/${inputs.name}`,
    }),
  };
}

/** What `loadSettings` hands `parseSettings` for a stack file with `overrides`. */
export function rawConfig(stack: string, overrides: Record<string, ConfigOverride>, updating: boolean) {
  const { config, secretKeys } = readStackConfig(stack, overrides);
  const values = Object.fromEntries(
    Object.entries(config)
      .filter(([k]) => k.startsWith("healthflow:"))
      .map(([k, v]) => [k.slice("healthflow:".length), v]),
  );
  return { stack, values, secretKeys: new Set(secretKeys), updating };
}

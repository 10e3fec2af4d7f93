import { ConfigError, parseSettings } from "../../settings";
import { placeholderReason } from "../../settings/placeholders";
import { ProgramError } from "../../tools/engine/engine";
import { runProgram } from "../harness/programs";
import { rawConfig as raw, realValues, SECRETS, secretsOf } from "./realAccount";

// The checked-in staging and production files carry placeholders (AWS's documentation account,
// TEST-NET-3, example.com): a preview says so and goes on, an update refuses to start.

const PLACEHOLDER_KEYS = [
  "healthflow:cluster.adminRoleArns[0]",
  "healthflow:cluster.previewRoleArns[0]",
  "healthflow:cluster.readOnlyRoleArns[0]",
  "healthflow:ingress.acmeEmail",
  "healthflow:monitoring.alarmEmails[0]",
  "healthflow:runners.connectionArn",
  "healthflow:smtp.host",
];
/** Staging's public endpoint range is a placeholder too; production's endpoint is private (no range). */
const placeholderKeys = (stack: string) =>
  stack === "staging" ? [...PLACEHOLDER_KEYS, "healthflow:cluster.publicAccessCidrs[0]"] : PLACEHOLDER_KEYS;

describe("what counts as a placeholder", () => {
  test.each([
    ["arn:aws:iam::111122223333:role/healthflow-platform-admin", /documentation account 111122223333/],
    ["arn:aws:sts::111122223333:assumed-role/x/y", /documentation account/],
    ["192.0.2.0/24", /TEST-NET-1/],
    ["198.51.100.17", /TEST-NET-2/],
    ["203.0.113.128/25", /TEST-NET-3/],
    ["plantao@example.com", /example\.com is a domain reserved for examples/],
    ["https://hooks.example.org/services/x", /example\.org/],
    // With credentials in the URL (an SMTP or webhook URL): the host is after the "@".
    ["smtp://apikey:s3cret@smtp.example.com:587", /smtp\.example\.com is a domain reserved/],
    ["https://alice@hooks.example.org/x", /hooks\.example\.org is a domain reserved/],
    ["ops.example.net", /example\.net/],
    ["alerts@acme.example", /acme\.example/],
  ])("%s", (value, reason) => {
    expect(placeholderReason(value)).toMatch(reason);
  });

  test.each([
    "arn:aws:iam::210987654321:role/healthflow-platform-admin",
    "203.0.0.0/16", // a real block that merely contains TEST-NET-3
    "203.0.114.0/24",
    "10.40.0.0/16",
    "plantao@healtflow.com.br",
    "examples.com",
    "https://hooks.slack.com/services/T0/B0/x",
    "sa-east-1",
    // Octets side by side: 194.0.0.0 is not TEST-NET-1 (192.0.2.0) however its octets add up.
    "194.0.0.0/24",
    "192.0.3.0/24",
    "198.51.99.255",
    // RFC 2606 reserves example.com itself, not names that merely start with it.
    "plantao@example.com.br",
    // Not an address at all: nothing to check.
    "plantao example@example.com",
    "plantao@example.com (on call)",
    // A value is judged as a whole address: text that merely ends in one is not one.
    "see https://docs.example.com",
    "on call: ops.example.net",
    "mail.healtflow.com.br, not mail.example.com",
    // Five numbers are no IPv4 address, whatever the first four are.
    "198.51.100.170.1",
    // A block wider than a documentation range is a real block, even where it starts inside one.
    "192.0.2.0/23",
  ])("%s is not", (value) => {
    expect(placeholderReason(value)).toBeNull();
  });
});

describe.each(["staging", "production"])("the placeholders of %s", (stack) => {
  test("a preview warns, naming every one, and goes on", () => {
    const settings = parseSettings(raw(stack, {}, false));
    expect(settings.warnings).toHaveLength(1);
    const [warning] = settings.warnings;
    expect(warning).toMatch(
      new RegExp(
        `^Stack "${stack}" has ${placeholderKeys(stack).length} placeholder values; a preview goes on, \`pulumi up\` refuses`,
      ),
    );
    for (const key of placeholderKeys(stack)) expect(warning).toContain(`  - ${key} = `);
  });

  test("an update refuses with one message: stack, key, value and what to do", () => {
    let message = "";
    try {
      parseSettings(raw(stack, secretsOf(stack), true));
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toMatch(
      new RegExp(
        `^Stack "${stack}" has ${placeholderKeys(stack).length} configuration problems; nothing was created`,
      ),
    );
    expect(message).toContain(
      `healthflow:cluster.adminRoleArns[0] = "arn:aws:iam::111122223333:role/healthflow-platform-admin": is a placeholder: AWS's documentation account 111122223333; use your account's ARN`,
    );
    if (stack === "staging")
      expect(message).toContain(
        `healthflow:cluster.publicAccessCidrs[0] = "203.0.113.0/24": is a placeholder: inside TEST-NET-3`,
      );
    expect(message).toContain(`healthflow:ingress.acmeEmail = "plataforma@example.com": is a placeholder`);
    expect(message).toContain(
      `healthflow:runners.connectionArn = "arn:aws:codeconnections:sa-east-1:111122223333:connection/00000000-0000-4000...: is a placeholder`,
    );
    for (const key of placeholderKeys(stack)) expect(message).toContain(`  - ${key} = `);
    expect(message).not.toMatch(/\n\s+at /);
  });

  test("with real values in their place, an update goes on and nothing is said", () => {
    const settings = parseSettings(raw(stack, realValues(stack), true));
    expect(settings.warnings).toEqual([]);
  });

  test("a placeholder in a secret is named, never shown", () => {
    const heartbeat = "https://hooks.example.com/ping/very-secret";
    let message = "";
    try {
      parseSettings(
        raw(stack, { ...realValues(stack), "healthflow:alertHeartbeatUrl": { secret: heartbeat } }, true),
      );
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(
      "healthflow:alertHeartbeatUrl = (a secret, not shown): is a placeholder: hooks.example.com",
    );
    expect(message).not.toContain("very-secret");
  });
});

test("dev (local Docker, no account) is not checked for placeholders", () => {
  expect(parseSettings(raw("dev", {}, true)).warnings).toEqual([]);
});

test("the program's update refuses before it registers anything; its preview carries on", async () => {
  const update = runProgram("staging", { preview: false, computed: "known", overrides: SECRETS });
  const error = (await update.catch((e) => e)) as ProgramError;
  expect(error).toBeInstanceOf(ProgramError);
  expect((error.cause as Error).name).toBe("ConfigError");
  expect((error.cause as Error).message).toMatch(/has 8 configuration problems/);
  expect(error.resources.filter((r) => r.custom)).toEqual([]);

  const preview = await runProgram("staging", { overrides: SECRETS });
  expect(preview.resources.filter((r) => r.type === "aws:eks/cluster:Cluster")).toHaveLength(1);
});

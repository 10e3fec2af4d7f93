import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { ProgramError } from "../../tools/engine/engine";
import { planStack, runProgram } from "../harness/programs";
import { plannedStack } from "../harness/plans";
import { pulumiSchemas } from "../harness/schemas";
import { PROJECT_ROOT, readStackConfig, stackNames } from "../../tools/engine/stackConfig";

const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-plan-"));
afterAll(() => fs.rmSync(outRoot, { recursive: true, force: true }));

const SIG = "4dabf18193072939515e22adb298388d";
const isSecretState = (v: any) =>
  typeof v === "object" && v !== null && v[SIG] === "1b47061264138c4ac30d75fd1eb44270";
const unwrapSecret = (v: any) => (isSecretState(v) ? JSON.parse(v.plaintext) : v);

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** `output` without the keys `input` lacks whose value is unknown, at any depth. */
function withoutUnknownExtras(output: any, input: any): any {
  if (!output || typeof output !== "object" || !input || typeof input !== "object" || Array.isArray(output))
    return output;
  return Object.fromEntries(
    Object.entries(output)
      .filter(([k, v]) => k in input || v !== UNKNOWN)
      .map(([k, v]) => [k, withoutUnknownExtras(v, input[k])]),
  );
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe("the offline plan", () => {
  test("there are exactly the three stacks of the design", () => {
    expect(stackNames()).toEqual(["dev", "production", "staging"]);
  });

  test.each(stackNames())(
    "%s: exits 0 and writes a state.json that Pulumi's schemas accept",
    async (stack) => {
      const result = plannedStack(stack);
      expect(result.exitCode).toBe(0);
      expect(result.output).toContain(`Plan of stack "${stack}"`);
      expect(result.output).toMatch(/Counts \(\d+ resources\):/);

      const state = JSON.parse(fs.readFileSync(path.join(result.dir!, "state.json"), "utf8"));
      const { deployment: validate } = pulumiSchemas();
      expect(validate(state) ? [] : validate.errors).toEqual([]);

      const resources = state.deployment.resources as Record<string, any>[];
      expect(resources[0].type).toBe("pulumi:pulumi:Stack");
      const urns = new Set(resources.map((r) => r.urn));
      for (const r of resources) {
        if (r.parent) expect(urns).toContain(r.parent);
        if (r.custom && !r.type.startsWith("pulumi:providers:")) {
          // Every resource names an explicit provider that is itself in the state.
          expect(urns).toContain(String(r.provider).split("::").slice(0, -1).join("::"));
        }
        // Outputs hold the inputs; the engine may only add secretness (additionalSecretOutputs).
        for (const [key, value] of Object.entries(r.inputs)) {
          // ...and, inside an input object, a field the provider computes, unknown in a preview.
          expect([key, withoutUnknownExtras(unwrapSecret(r.outputs[key]), unwrapSecret(value))]).toEqual([
            key,
            unwrapSecret(value),
          ]);
          if (isSecretState(value)) expect([key, isSecretState(r.outputs[key])]).toEqual([key, true]);
        }
      }
      expect(fs.existsSync(path.join(result.dir!, "manifests"))).toBe(true);
    },
  );

  test("state.json keeps secrets secret and computed values unknown, as in a preview", async () => {
    const result = plannedStack("dev");
    const state = fs.readFileSync(path.join(result.dir!, "state.json"), "utf8");
    const container = JSON.parse(state).deployment.resources.find((r: any) =>
      r.urn.endsWith("Container::postgres"),
    );
    expect(container.inputs.image).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    expect(container.provider).toMatch(/::04da6b54-80e4-46f7-96ec-b56ff0331ba9$/);
  });

  test("no generated secret and no config secret appears in plain text in the output or any file", async () => {
    const webhook = "https://hooks.example.com/services/T0/B0/plain-text-must-not-leak";
    const heartbeat = "https://hc-ping.com/heartbeat-must-not-leak";
    const monitoring = JSON.parse(readStackConfig("dev").config["healthflow:monitoring"]);
    const result = await planStack("dev", {
      outRoot,
      computed: "known",
      overrides: {
        "healthflow:monitoring": { ...monitoring, alertReceiver: "webhook" },
        "healthflow:alertReceiverSecret": { secret: webhook },
        "healthflow:alertHeartbeatUrl": { secret: heartbeat },
      },
    });
    expect(result.exitCode).toBe(0);
    const generated = result
      .run!.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword")
      .map((r) => (r.outputs.result as { value: string }).value);
    expect(generated).toHaveLength(3);
    const haystacks = [result.output, ...filesUnder(result.dir!).map((f) => fs.readFileSync(f, "utf8"))];
    for (const secret of [...generated, webhook, heartbeat]) {
      for (const text of haystacks) expect(text.includes(secret)).toBe(false);
    }
    // ...and the secrets are there, as secrets: the grep above would catch them otherwise.
    expect(result.output).toContain('"databaseUrl": "[secret]"');
  });

  test("bad config exits 2 with the config message, writes nothing, and registers no resource", async () => {
    const overrides = { "healthflow:environment": "qa" };
    const result = await planStack("staging", { outRoot: path.join(outRoot, "bad"), overrides });
    expect(result.exitCode).toBe(2);
    expect(result.output).toMatch(/^Stack "staging" has 1 configuration problem/);
    expect(fs.existsSync(path.join(outRoot, "bad"))).toBe(false);

    const failure = await runProgram("staging", { overrides }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProgramError);
    expect((failure as ProgramError).resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });

  test("the command line: an unknown stack exits 2 with a sentence, not a stack trace", async () => {
    const run = promisify(execFile);
    const failure = await run(process.execPath, ["-r", "./tools/ts-hook.js", "tools/plan.ts", "nope"], {
      cwd: PROJECT_ROOT,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 2 });
    const stderr = (failure as { stderr: string }).stderr;
    expect(stderr).toContain('Unknown stack "nope": there is no Pulumi.nope.yaml');
    expect(stderr).toContain("Stacks: dev, production, staging.");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  test("the stack files the plan reads are the ones in the repo", () => {
    expect(readStackConfig("production").config["healthflow:environment"]).toBe("production");
  });
});

describe("a new stack (a review environment copied from staging)", () => {
  // A project folder of its own: Pulumi.yaml and Pulumi.pr-42.yaml as `cp Pulumi.staging.yaml
  // Pulumi.pr-42.yaml` would make it; the program and the policy configs are the project's.
  const root = fs.mkdtempSync(path.join(outRoot, "review-"));
  fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  const staging = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.staging.yaml"), "utf8");
  fs.writeFileSync(path.join(root, "Pulumi.pr-42.yaml"), staging);
  fs.writeFileSync(
    path.join(root, "Pulumi.pr-43.yaml"),
    staging.replace("healthflow:environment: staging", "healthflow:environment: review"),
  );

  test("plans with its environment's policy config and exits 0", async () => {
    expect(fs.existsSync(path.join(PROJECT_ROOT, "policies/config/pr-42.json"))).toBe(false);
    const result = await planStack("pr-42", { root, outRoot });
    expect(result.output).toContain("with policies/config/staging.json: 0 mandatory");
    expect(result.exitCode).toBe(0);
  });

  test("an environment that does not exist is one clear message and exit 2", async () => {
    const result = await planStack("pr-43", { root, outRoot });
    expect(result.exitCode).toBe(2);
    expect(result.output).toMatch(
      /^Stack "pr-43" has 1 configuration problem.*\n {2}- healthflow:environment = "review": must be one of: "dev", "staging", "production"/,
    );
    expect(result.output).not.toMatch(/\n\s+at /);
  });

  test("with no policy config of its own nor of its environment: exit 2 naming the files looked for", async () => {
    const empty = fs.mkdtempSync(path.join(outRoot, "no-configs-"));
    // Found before the program runs: a program that does not exist is never loaded.
    const program = path.join(root, "no-such-program.ts");
    const result = await planStack("pr-42", { root, outRoot, policyConfigDirectory: empty, program });
    expect(result.exitCode).toBe(2);
    expect(result.output).toMatch(
      /^No policy config for stack 'pr-42' \(environment 'staging'\): neither pr-42\.json nor staging\.json exists/,
    );
  });

  test("its own policies/config/<stack>.json wins over its environment's", async () => {
    const configs = fs.mkdtempSync(path.join(outRoot, "configs-"));
    fs.writeFileSync(path.join(configs, "staging.json"), JSON.stringify({ all: "mandatory" }));
    fs.writeFileSync(path.join(configs, "pr-42.json"), JSON.stringify({ all: "advisory" }));
    const result = await planStack("pr-42", { root, outRoot, policyConfigDirectory: configs });
    expect(result.output).toContain("with policies/config/pr-42.json:");
    fs.writeFileSync(path.join(configs, "pr-42.json"), "{ all: advisory }");
    const program = path.join(root, "no-such-program.ts"); // refused before the program runs
    const broken = await planStack("pr-42", { root, outRoot, policyConfigDirectory: configs, program });
    expect(broken).toMatchObject({
      exitCode: 2,
      output: expect.stringMatching(/pr-42\.json is not valid JSON/),
    });
  });

  test("`npm run -s policy-config` prints the file the workflows pass to --policy-pack-config", async () => {
    const run = promisify(execFile);
    const cli = (stack: string) =>
      run(process.execPath, ["-r", "./tools/ts-hook.js", "tools/policy-config.ts", stack], {
        cwd: PROJECT_ROOT,
      });
    await expect(cli("production")).resolves.toMatchObject({ stdout: "policies/config/production.json\n" });
    const failure = await cli("nope").catch((e: { code: number; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain('Unknown stack "nope"');
  });
});

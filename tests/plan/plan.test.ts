import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { planStack } from "../../tools/plan/index";
import { ProgramError, runProgram } from "../../tools/engine/engine";
import { plannedStack } from "../harness/plans";
import { pulumiSchemas } from "../harness/schemas";
import { PROJECT_ROOT, readStackConfig, stackNames } from "../../tools/engine/stackConfig";

const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-plan-"));
afterAll(() => fs.rmSync(outRoot, { recursive: true, force: true }));

const SIG = "4dabf18193072939515e22adb298388d";
const isSecretState = (v: any) =>
  typeof v === "object" && v !== null && v[SIG] === "1b47061264138c4ac30d75fd1eb44270";
const unwrapSecret = (v: any) => (isSecretState(v) ? JSON.parse(v.plaintext) : v);

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
          expect([key, unwrapSecret(r.outputs[key])]).toEqual([key, unwrapSecret(value)]);
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
    const failure = await run(process.execPath, [require.resolve("tsx/cli"), "tools/plan.ts", "nope"], {
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

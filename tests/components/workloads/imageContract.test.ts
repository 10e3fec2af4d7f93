import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { find, ofType, runProgram, type ProgramRun, secretValues } from "../../harness";
import { knownRun } from "../../harness/plans";
import { rawConfig, SECRETS } from "../../settings/realAccount";
import { parseSettings } from "../../../settings";
import { readStackConfig } from "../../../tools/engine/stackConfig";

// What the program asks of the images it runs, and of the services the apps reach (issue 25): the
// migrations run the image's own Prisma, private images are pulled with a token, the probes are the
// ones each app serves, and mail leaves on the provider's port only.

const section = (stack: string, key: string) =>
  JSON.parse(readStackConfig(stack).config[`healthflow:${key}`]);
const podsOf = (run: ProgramRun) =>
  run.resources
    .filter((r) => ["kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"].includes(r.type))
    .filter((r) => r.name !== "cert-manager-api-ready")
    .map((r) => ({ name: r.name, spec: (r.inputs as any).spec.template.spec }));

test("the migrations run the Prisma CLI inside the image, found from its WORKDIR, and never a package runner", () => {
  const job = find(knownRun("staging").resources, "kubernetes:batch/v1:Job", "api-migrate");
  const [program, ...args] = (job.inputs as any).spec.template.spec.containers[0].command as string[];
  expect(["npx", "npm", "pnpm", "yarn", "bunx"]).not.toContain(path.basename(program));
  expect(args).toEqual(["migrate", "deploy"]);
  // The guide's api image: WORKDIR /app with its node_modules. Exec resolves a relative path against
  // the working directory, as the container runtime does for the Job's command.
  const app = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-api-image-"));
  try {
    const missing = spawnSync(program, args, { cwd: app, encoding: "utf8" });
    expect((missing.error as NodeJS.ErrnoException | undefined)?.code).toBe("ENOENT");
    const cli = path.join(app, program);
    fs.mkdirSync(path.dirname(cli), { recursive: true });
    fs.writeFileSync(cli, '#!/bin/sh\necho "prisma $*"\n', { mode: 0o755 });
    const run = spawnSync(program, args, { cwd: app, encoding: "utf8" });
    expect(run.stdout).toBe("prisma migrate deploy\n");
  } finally {
    fs.rmSync(app, { recursive: true, force: true });
  }
});

describe("private images", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("staging", {
      computed: "known",
      overrides: {
        "healthflow:registry": { server: "ghcr.io", username: "healthflow-bot" },
        "healthflow:registryToken": { secret: "ghp_example0token" },
      },
    });
  });

  test("are pulled with a dockerconfigjson Secret the kubelet reads: user, token and their base64 auth", () => {
    const pull = find(run.resources, "kubernetes:core/v1:Secret", "registry").inputs as any;
    expect(pull.type).toBe("kubernetes.io/dockerconfigjson");
    const config = JSON.parse(secretValues(pull)[".dockerconfigjson"]);
    const entry = config.auths["ghcr.io"];
    expect(Buffer.from(entry.auth, "base64").toString()).toBe("healthflow-bot:ghp_example0token");
    // Nowhere in plain text, in any input of any resource.
    expect(JSON.stringify(run.resources.map((r) => r.inputs))).not.toContain("ghp_example0token");
  });

  test("by every app and the migrations; public images need none", () => {
    // The pods of images from the registry (the apps' and the migrations'): the pull Secret; the
    // database audit Job's public postgres image (the backups') needs none.
    const fromRegistry = (pod: { spec: any }) =>
      pod.spec.containers.every((c: { image: string }) => c.image.startsWith("ghcr.io/"));
    expect(
      podsOf(run)
        .filter(fromRegistry)
        .map((p) => p.name)
        .sort(),
    ).toEqual(["api", "api-migrate", "web", "worker"]);
    for (const pod of podsOf(run))
      expect({ pod: pod.name, pulls: pod.spec.imagePullSecrets }).toEqual({
        pod: pod.name,
        pulls: fromRegistry(pod) ? [{ name: "healthflow-registry" }] : undefined,
      });
    for (const pod of podsOf(knownRun("staging"))) expect(pod.spec.imagePullSecrets).toBeUndefined();
    expect(
      ofType(knownRun("staging").resources, "kubernetes:core/v1:Secret").map((s) => s.name),
    ).not.toContain("registry");
  });
});

describe.each(["staging", "production"])("mail from %s", (stack) => {
  test("leaves from the api and the worker, to the provider's submission port only", () => {
    const policies = ofType(knownRun(stack).resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    const smtp = policies.find((p) => p.name === "allow-smtp-egress")!.inputs as any;
    expect(smtp.spec.podSelector.matchExpressions).toEqual([
      { key: "app", operator: "In", values: ["healthflow-api", "healthflow-worker"] },
    ]);
    expect(smtp.spec.egress).toHaveLength(1);
    expect(smtp.spec.egress[0].ports).toEqual([{ protocol: "TCP", port: section(stack, "smtp").port }]);
    // Not the instance metadata service, nothing inside the VPC.
    expect(smtp.spec.egress[0].to[0].ipBlock.except).toEqual(
      expect.arrayContaining(["169.254.169.254/32", section(stack, "network").cidr]),
    );
    // No other rule opens a mail port.
    const others = policies.filter((p) => p.name !== "allow-smtp-egress");
    const ports = others.flatMap((p) =>
      ((p.inputs as any).spec.egress ?? []).flatMap((e: any) => e.ports ?? []),
    );
    for (const port of [25, 465, 587]) expect(ports.map((p: any) => p.port)).not.toContain(port);
  });
});

describe("the settings of mail, images and probes", () => {
  const problems = (stack: string, overrides: Record<string, any>, updating = false) => {
    try {
      parseSettings(rawConfig(stack, overrides, updating));
      return "";
    } catch (e) {
      return (e as Error).message;
    }
  };

  test("a cloud stack needs an SMTP endpoint on a submission port; its password only as a secret", () => {
    const smtp = section("staging", "smtp");
    expect(problems("staging", { "healthflow:smtp": null })).toMatch(
      /healthflow:smtp = \(not set\): is required for environment "staging"/,
    );
    expect(problems("staging", { "healthflow:smtp": { ...smtp, port: 25 } })).toMatch(
      /healthflow:smtp\.port = 25: must be 587 \(STARTTLS\) or 465 \(TLS\)/,
    );
    expect(problems("staging", { "healthflow:smtpPassword": "hunter2" })).toMatch(
      /healthflow:smtpPassword = \(a plain-text value, not shown\): is stored in plain text; it must be a secret/,
    );
    expect(problems("staging", { ...SECRETS, "healthflow:smtpPassword": null }, true)).toMatch(
      /healthflow:smtpPassword = \(not set\): is required to deploy environment "staging"/,
    );
    expect(problems("dev", {})).toBe("");
  });

  test("a registry needs its token to deploy, and a token its registry", () => {
    const registry = { server: "ghcr.io", username: "healthflow-bot" };
    expect(problems("staging", { ...SECRETS, "healthflow:registry": registry }, true)).toMatch(
      /healthflow:registryToken = \(not set\): is required with healthflow:registry/,
    );
    expect(problems("staging", { "healthflow:registryToken": { secret: "t" } })).toMatch(
      /healthflow:registry = \(not set\): is required when healthflow:registryToken is set/,
    );
  });

  test("probes need a port; paths must be absolute", () => {
    const apps = section("staging", "apps");
    const portless = { ...apps.worker, port: undefined };
    expect(
      problems("staging", { "healthflow:apps": { ...apps, worker: { ...portless, health: "tcp" } } }),
    ).toMatch(/healthflow:apps\.worker\.health = "tcp": needs apps\.worker\.port/);
    expect(
      problems("staging", { "healthflow:apps": { ...apps, worker: { ...portless, health: "none" } } }),
    ).toBe("");
    const relative = { startup: "health", liveness: "/health/live", readiness: "/health/ready" };
    expect(
      problems("staging", { "healthflow:apps": { ...apps, api: { ...apps.api, health: relative } } }),
    ).toMatch(/healthflow:apps\.api\.health.*must be an absolute URL path such as \/health/);
  });
});

import { find, isSecret, ofType, runProgram, type ProgramRun } from "../../harness";
import { knownRun, plannedRun } from "../../harness/plans";
import { readStackConfig } from "../../../tools/engine/stackConfig";
import { blockOf, parseConf, serverFor, value } from "../nginx/parseConf";

const CONTAINER = "docker:index/container:Container";

describe("the dev stack on Docker", () => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun("dev");
  });

  const container = (name: string) => find(run.resources, CONTAINER, name).inputs as Record<string, any>;

  test("runs the guide's four services, and no apps unless configured", () => {
    expect(
      ofType(run.resources, CONTAINER)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["mailhog", "minio", "minio-init", "postgres", "redis"].sort());
  });

  test("publishes the guide's ports on loopback only", () => {
    const ports = Object.fromEntries(
      ["postgres", "redis", "minio", "mailhog"].map((n) => [
        n,
        container(n).ports.map((p: any) => `${p.ip}:${p.external}->${p.internal}`),
      ]),
    );
    expect(ports).toEqual({
      postgres: ["127.0.0.1:5432->5432"],
      redis: ["127.0.0.1:6379->6379"],
      minio: ["127.0.0.1:9000->9000", "127.0.0.1:9001->9001"],
      mailhog: ["127.0.0.1:1025->1025", "127.0.0.1:8025->8025"],
    });
  });

  test("pins every image to an exact tag (never latest, never bare)", () => {
    const images = ofType(run.resources, "docker:index/remoteImage:RemoteImage").map((r) =>
      String(r.inputs.name),
    );
    expect(images).toHaveLength(5);
    for (const image of images) expect(image).toMatch(/:(?!latest$)[\w][\w.-]*$/);
    expect(images).toContain("postgres:16.10-alpine");
  });

  test("keeps the guide's behaviour: pg_isready healthcheck, Redis AOF, MinIO console, restart policy", () => {
    expect(container("postgres").healthcheck).toEqual({
      tests: ["CMD-SHELL", "pg_isready -U healthflow"],
      interval: "10s",
      timeout: "5s",
      retries: 5,
    });
    expect(container("redis").command.join(" ")).toContain("--appendonly yes");
    expect(container("minio").command).toEqual(["server", "/data", "--console-address", ":9001"]);
    for (const name of ["postgres", "redis", "minio", "mailhog"])
      expect(container(name).restart).toBe("unless-stopped");
  });

  test("stores data in named volumes on one network", () => {
    expect(container("postgres").volumes).toEqual([
      { volumeName: "healthflow_postgres_data", containerPath: "/var/lib/postgresql/data" },
    ]);
    const networks = new Set(
      ofType(run.resources, CONTAINER).map((r) => (r.inputs as any).networksAdvanced[0].name),
    );
    expect([...networks]).toEqual(["healthflow"]);
  });

  test("generated credentials reach containers only as secrets, never on a command line", async () => {
    const known = knownRun("dev");
    const postgresEnvs = find(known.resources, CONTAINER, "postgres").inputs.envs as unknown[];
    expect(postgresEnvs.filter(isSecret)).toHaveLength(1);
    expect(postgresEnvs.filter((e) => typeof e === "string" && e.startsWith("POSTGRES_PASSWORD"))).toEqual(
      [],
    );
    expect(container("redis").command.join(" ")).toContain('"$REDIS_PASSWORD"');
    expect(ofType(run.resources, "random:index/randomPassword:RandomPassword")).toHaveLength(3);
  });

  test("every resource uses an explicit provider", () => {
    const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    for (const r of custom)
      expect([r.name, r.provider]).toEqual([
        r.name,
        expect.stringMatching(/pulumi:providers:(docker|random)::/),
      ]);
  });

  test("exports the connection settings; those with credentials are secrets", async () => {
    const known = knownRun("dev");
    const connection = known.outputs.connection as Record<string, unknown>;
    expect(["databaseUrl", "redisUrl", "s3SecretAccessKey"].map((k) => isSecret(connection[k]))).toEqual([
      true,
      true,
      true,
    ]);
    expect(connection).toMatchObject({
      s3Endpoint: "http://127.0.0.1:9000",
      s3Bucket: "healthflow-uploads",
      smtpPort: 1025,
    });
    const url = (connection.databaseUrl as { value: string }).value;
    expect(url).toMatch(/^postgresql:\/\/healthflow:[\w-]{20,}@127\.0\.0\.1:5432\/healthflow/);
  });

  test("runApps adds the api and web containers, wired to the services by network alias", async () => {
    const local = JSON.parse(
      (await import("../../../tools/engine/stackConfig")).readStackConfig("dev").config["healthflow:local"],
    );
    const withApps = await runProgram("dev", {
      overrides: { "healthflow:local": { ...local, runApps: true } },
      computed: "known",
    });
    const api = find(withApps.resources, CONTAINER, "api").inputs as Record<string, any>;
    expect(api.ports).toEqual([{ internal: 3001, external: 3001, ip: "127.0.0.1" }]);
    expect(api.envs).toContain("PORT=3001");
    expect(api.envs.filter(isSecret)).toHaveLength(3);
    expect(api.memory).toBe(2048);
    expect(find(withApps.resources, CONTAINER, "web").inputs.ports).toEqual([
      { internal: 3000, external: 3000, ip: "127.0.0.1" },
    ]);
  });

  test("runApps puts the guide's nginx in front of the apps: loopback ports, the stack's rules, certificates read-only", async () => {
    const local = JSON.parse(readStackConfig("dev").config["healthflow:local"]);
    const withApps = await runProgram("dev", {
      overrides: { "healthflow:local": { ...local, runApps: true } },
    });
    const resource = find(withApps.resources, CONTAINER, "nginx");
    const nginx = resource.inputs as Record<string, any>;
    expect(nginx.ports).toEqual([
      { internal: 80, external: 8080, ip: "127.0.0.1" },
      { internal: 443, external: 8443, ip: "127.0.0.1" },
    ]);
    expect(nginx.networksAdvanced).toEqual([{ name: "healthflow", aliases: ["nginx"] }]);
    expect(find(withApps.resources, "docker:index/remoteImage:RemoteImage", "nginx-image").inputs.name).toBe(
      "nginx:1.28.0-alpine",
    );
    // nginx resolves api and web once, at start: it must come after both.
    const appUrns = ["api", "web"].map((name) => find(withApps.resources, CONTAINER, name).urn);
    expect(resource.dependencies).toEqual(expect.arrayContaining(appUrns));

    expect(nginx.uploads.map((u: any) => u.file)).toEqual(["/etc/nginx/nginx.conf"]);
    const conf = parseConf(nginx.uploads[0].content);
    const http = blockOf(conf, "http");
    expect([
      value(blockOf(http, "upstream", "api"), "server"),
      value(blockOf(http, "upstream", "web"), "server"),
    ]).toEqual(["api:3001", "web:3000"]);
    const app = serverFor(conf, "app.healthflow.localhost");
    expect(value(app, "listen")).toBe("443 ssl http2");
    expect(value(blockOf(app, "location", "/"), "limit_req")).toBe("zone=general burst=50 nodelay");
    expect(value(serverFor(conf, "api.healthflow.localhost"), "ssl_certificate")).toBe(
      "/etc/nginx/ssl/fullchain.pem",
    );
    // Redirects name the published port: https://app.healthflow.localhost:8443/...
    expect(nginx.uploads[0].content).toContain("return 301 https://$host:8443$request_uri;");
    expect(nginx.volumes).toEqual([
      { hostPath: expect.stringMatching(/\/\.dev-certs$/), containerPath: "/etc/nginx/ssl", readOnly: true },
    ]);
  });
});

import { find, isSecret, ofType, runProgram, type ProgramRun } from "../../harness";

const CONTAINER = "docker:index/container:Container";

describe("the dev stack on Docker", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("dev");
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
    const known = await runProgram("dev", { computed: "known" });
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
    const known = await runProgram("dev", { computed: "known" });
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
      (await import("../../harness/stackConfig")).readStackConfig("dev").config["healthflow:local"],
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
});

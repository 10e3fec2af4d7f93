import * as docker from "@pulumi/docker";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Settings } from "../../settings";
import { memoryBytes } from "../../settings/formats";
import { nginxConfFromSettings } from "../nginx/fromSettings";
import {
  DATABASE,
  LOCAL_HOST,
  UPLOADS_BUCKET,
  healthcheck,
  minioInitScript,
  postgresUrl,
  redisUrl,
} from "./connection";

/** What the dev stack needs to run the guide's docker-compose as Pulumi resources. */
export interface LocalStackArgs {
  /** Ports, pinned images and the runApps switch (`healthflow:local`). Required. */
  local: NonNullable<Settings["local"]>;
  /** The app images and sizes (`healthflow:apps`); used only when `local.runApps` is true. */
  apps: Settings["apps"];
  /** Body size and rate limits of the guide's nginx in front of the apps (`healthflow:edge`); used with runApps. Required. */
  edge: Settings["edge"];
  /** The nginx servers' names, appHost and apiHost (`healthflow:dns`); used with runApps. Required. */
  dns: Settings["dns"];
  /** The Docker engine to run on (DOCKER_HOST from the environment). Required. */
  dockerProvider: docker.Provider;
  /** Generates the credentials. Required. */
  randomProvider: random.Provider;
}

/** The connection settings an app needs; `*Url` values carry credentials and are secrets. */
export interface LocalConnection {
  databaseUrl: pulumi.Output<string>;
  redisUrl: pulumi.Output<string>;
  s3Endpoint: string;
  s3Bucket: string;
  s3AccessKeyId: string;
  s3SecretAccessKey: pulumi.Output<string>;
  smtpHost: string;
  smtpPort: number;
}

/**
 * The dev stack: PostgreSQL, Redis (AOF on), MinIO with its console and MailHog as containers on
 * one network with named volumes, as the guide's docker-compose, and optionally the web and api
 * apps behind the guide's nginx. Every port binds to 127.0.0.1 only: a laptop on café Wi-Fi must
 * not serve patient data.
 */
export class LocalStack extends pulumi.ComponentResource {
  /** The connection settings an app needs (DATABASE_URL, REDIS_URL, S3, SMTP). */
  readonly connection: LocalConnection;
  /** The Docker network every container joins. */
  readonly network: docker.Network;

  constructor(name: string, args: LocalStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:local:LocalStack", name, {}, opts);
    const { local } = args;
    if (local.runApps && (!args.edge || !args.dns)) {
      throw new Error(
        `LocalStack "${name}" runs the apps behind nginx (local.runApps), so it needs the edge and dns settings.`,
      );
    }
    const withDocker = { parent: this, provider: args.dockerProvider };
    const withRandom = { parent: this, provider: args.randomProvider };

    const password = (id: string) =>
      new random.RandomPassword(id, { length: 32, special: false }, withRandom).result;
    const postgresPassword = password("postgres-password");
    const redisPassword = password("redis-password");
    const minioPassword = password("minio-password");

    this.network = new docker.Network("network", { name: "healthflow", driver: "bridge" }, withDocker);
    const volume = (id: string) =>
      new docker.Volume(id, { name: `healthflow_${id.replace("-", "_")}` }, withDocker);
    const image = (id: string, ref: string) =>
      new docker.RemoteImage(id, { name: ref, keepLocally: true }, withDocker).imageId;
    const onNetwork = (alias: string) => [{ name: this.network.name, aliases: [alias] }];
    const published = (internal: number, external: number) => ({ internal, external, ip: LOCAL_HOST });

    const postgres = new docker.Container(
      "postgres",
      {
        name: "healthflow-postgres",
        image: image("postgres-image", local.images.postgres),
        envs: [
          `POSTGRES_USER=${DATABASE}`,
          pulumi.interpolate`POSTGRES_PASSWORD=${postgresPassword}`,
          `POSTGRES_DB=${DATABASE}`,
        ],
        ports: [published(5432, local.ports.postgres)],
        volumes: [{ volumeName: volume("postgres-data").name, containerPath: "/var/lib/postgresql/data" }],
        networksAdvanced: onNetwork("postgres"),
        healthcheck: healthcheck(`pg_isready -U ${DATABASE}`),
        restart: "unless-stopped",
        wait: true,
      },
      withDocker,
    );

    const redis = new docker.Container(
      "redis",
      {
        name: "healthflow-redis",
        image: image("redis-image", local.images.redis),
        envs: [pulumi.interpolate`REDIS_PASSWORD=${redisPassword}`],
        // The password goes through the environment, never the command line (`ps` shows that).
        command: ["sh", "-c", 'exec redis-server --appendonly yes --requirepass "$REDIS_PASSWORD"'],
        ports: [published(6379, local.ports.redis)],
        volumes: [{ volumeName: volume("redis-data").name, containerPath: "/data" }],
        networksAdvanced: onNetwork("redis"),
        healthcheck: healthcheck('REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG'),
        restart: "unless-stopped",
        wait: true,
      },
      withDocker,
    );

    const minioUser = DATABASE;
    const minio = new docker.Container(
      "minio",
      {
        name: "healthflow-minio",
        image: image("minio-image", local.images.minio),
        envs: [`MINIO_ROOT_USER=${minioUser}`, pulumi.interpolate`MINIO_ROOT_PASSWORD=${minioPassword}`],
        command: ["server", "/data", "--console-address", ":9001"],
        ports: [published(9000, local.ports.minioApi), published(9001, local.ports.minioConsole)],
        volumes: [{ volumeName: volume("minio-data").name, containerPath: "/data" }],
        networksAdvanced: onNetwork("minio"),
        healthcheck: healthcheck("mc ready local"),
        restart: "unless-stopped",
        wait: true,
      },
      withDocker,
    );

    // One-shot: creates the uploads bucket (what S3 is in staging/production), then exits.
    new docker.Container(
      "minio-init",
      {
        name: "healthflow-minio-init",
        image: image("minio-mc-image", local.images.minioClient),
        envs: [`MINIO_ROOT_USER=${minioUser}`, pulumi.interpolate`MINIO_ROOT_PASSWORD=${minioPassword}`],
        entrypoints: ["sh", "-c", minioInitScript(UPLOADS_BUCKET)],
        networksAdvanced: onNetwork("minio-init"),
        restart: "no",
        mustRun: false,
        attach: true,
        logs: true,
      },
      { ...withDocker, dependsOn: [minio] },
    );

    new docker.Container(
      "mailhog",
      {
        name: "healthflow-mailhog",
        image: image("mailhog-image", local.images.mailhog),
        ports: [published(1025, local.ports.mailhogSmtp), published(8025, local.ports.mailhogUi)],
        networksAdvanced: onNetwork("mailhog"),
        restart: "unless-stopped",
      },
      withDocker,
    );

    this.connection = {
      databaseUrl: postgresUrl(LOCAL_HOST, local.ports.postgres, postgresPassword),
      redisUrl: redisUrl(LOCAL_HOST, local.ports.redis, redisPassword),
      s3Endpoint: `http://${LOCAL_HOST}:${local.ports.minioApi}`,
      s3Bucket: UPLOADS_BUCKET,
      s3AccessKeyId: minioUser,
      s3SecretAccessKey: pulumi.secret(minioPassword),
      smtpHost: LOCAL_HOST,
      smtpPort: local.ports.mailhogSmtp,
    };

    if (local.runApps) {
      // Inside the network the apps reach the services by alias, not through the host ports.
      const appEnv = [
        pulumi.interpolate`DATABASE_URL=${postgresUrl("postgres", 5432, postgresPassword)}`,
        pulumi.interpolate`REDIS_URL=${redisUrl("redis", 6379, redisPassword)}`,
        "S3_ENDPOINT=http://minio:9000",
        `S3_BUCKET=${UPLOADS_BUCKET}`,
        `S3_ACCESS_KEY_ID=${minioUser}`,
        pulumi.interpolate`S3_SECRET_ACCESS_KEY=${minioPassword}`,
        "SMTP_HOST=mailhog",
        "SMTP_PORT=1025",
      ];
      const apps = (["api", "web"] as const).map((app) => {
        const { image: ref, port, resources } = args.apps[app];
        const listen = port ?? 3000;
        return new docker.Container(
          app,
          {
            name: `healthflow-${app}`,
            image: image(`${app}-image`, ref),
            envs: [...appEnv, "NODE_ENV=development", `PORT=${listen}`],
            ports: [published(listen, app === "api" ? local.ports.api : local.ports.web)],
            networksAdvanced: onNetwork(app),
            memory: Math.round(memoryBytes(resources.limits.memory) / 2 ** 20),
            restart: "unless-stopped",
          },
          { ...withDocker, dependsOn: [postgres, redis, minio] },
        );
      });

      // The guide's nginx in front of the apps, with the stack's edge rules; it reaches them by
      // network alias. It needs a certificate for the dev hosts in ./.dev-certs (kept out of the
      // stack: a key has no place in state), e.g. with mkcert:
      //   mkcert -cert-file .dev-certs/fullchain.pem -key-file .dev-certs/privkey.pem app.healthflow.localhost api.healthflow.localhost
      // or self-signed:
      //   openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=healthflow.localhost \
      //     -addext "subjectAltName=DNS:app.healthflow.localhost,DNS:api.healthflow.localhost" \
      //     -keyout .dev-certs/privkey.pem -out .dev-certs/fullchain.pem
      const nginxConf = nginxConfFromSettings(
        { edge: args.edge, dns: args.dns, apps: args.apps },
        // Redirects must name the published port, or the browser lands on 443 where nothing listens.
        { publicHttpsPort: local.ports.nginxHttps },
      );
      new docker.Container(
        "nginx",
        {
          name: "healthflow-nginx",
          image: image("nginx-image", local.images.nginx),
          ports: [published(80, local.ports.nginxHttp), published(443, local.ports.nginxHttps)],
          uploads: [{ file: "/etc/nginx/nginx.conf", content: nginxConf }],
          volumes: [
            { hostPath: path.resolve(".dev-certs"), containerPath: "/etc/nginx/ssl", readOnly: true },
          ],
          networksAdvanced: onNetwork("nginx"),
          restart: "unless-stopped",
        },
        // nginx resolves its upstreams once, at start: the apps must be on the network first.
        { ...withDocker, dependsOn: apps },
      );
    }

    this.registerOutputs({ network: this.network.name, connection: this.connection });
  }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Settings } from "../../settings";
import { configChecksum } from "../checksum";
import type { DataConnection } from "../data";
import { sharedObjectMetadata } from "../names";
import { appIdentity } from "./spec";
import { missingSecretSetting, secretData as toSecretData } from "../secrets";

// What the apps (and the api's migrations) read when they start: one ConfigMap, one Secret, the RDS
// CA bundle, and the registry's pull Secret when the images are private. A change to any of them
// rolls every pod that reads it, by the checksum in the pod templates (components/checksum.ts).

/** The ConfigMap and the Secret every app (and the migrations) read their environment from. */
export const CONFIG_MAP = "healthflow-config";
export const SECRET = "healthflow-secrets";
/** The ConfigMap with the RDS CA bundle, where DATABASE_URL's sslrootcert expects it. */
export const DATABASE_CA_CONFIG_MAP = "healthflow-rds-ca";
/** The `kubernetes.io/dockerconfigjson` Secret the pods pull private images with. */
export const REGISTRY_SECRET = "healthflow-registry";

export interface AppEnvironmentArgs {
  apps: Settings["apps"];
  hosts: { app: string; api: string };
  namespace: pulumi.Input<string>;
  data: DataConnection;
  /**
   * The mail provider (`healthflow:smtp`) and its password (a secret; absent in a preview without
   * it, which warns: the settings refuse an update without it). Default: no mail settings.
   */
  smtp?: NonNullable<Settings["smtp"]> & { password?: pulumi.Input<string> };
  /** The private registry (`healthflow:registry`) and its token (a secret; as `smtp`'s password). Default: public images. */
  registry?: NonNullable<Settings["registry"]> & { token?: pulumi.Input<string> };
  k8sProvider: k8s.Provider;
  randomProvider: random.Provider;
  parent: pulumi.Resource;
}

export interface AppEnvironment {
  /** The objects, for what must wait for them (the migration Job takes their plain names). */
  resources: pulumi.Resource[];
  configMapName: pulumi.Output<string>;
  secretName: pulumi.Output<string>;
  databaseCaConfigMap: pulumi.Output<string>;
  /** The pods' `imagePullSecrets` (empty for public images). */
  imagePullSecrets: { name: string }[];
  /** The checksum of all of it, for the pod templates. */
  checksum: pulumi.Output<string>;
  /** The checksum of what a pod that only talks to the database reads: DATABASE_URL and the CA. */
  databaseChecksum: pulumi.Output<string>;
}

/**
 * `.dockerconfigjson` for one registry (Kubernetes › Pull an Image from a Private Registry): the
 * user and token, and `auth`, their base64 "user:token", which the kubelet reads.
 */
export function dockerConfigJson(server: string, username: string, token: pulumi.Input<string>) {
  return pulumi.secret(
    pulumi.output(token).apply((password) =>
      JSON.stringify({
        auths: {
          [server]: { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") },
        },
      }),
    ),
  );
}

/** A secret setting of the apps that a preview goes on without (components/secrets.ts). */
const missingSecret = (key: string, what: string) =>
  missingSecretSetting(
    `healthflow:${key} is not set, so the apps get none: pulumi config set --secret healthflow:${key} <${what}>`,
  );

/** Creates the apps' ConfigMap, Secret, CA bundle and pull Secret; returns their names and checksum. */
export function appEnvironment(args: AppEnvironmentArgs): AppEnvironment {
  const child = { parent: args.parent, provider: args.k8sProvider };
  const metadata = (name: string) => sharedObjectMetadata(name, args.namespace);
  const generated = (id: string) =>
    new random.RandomPassword(
      id,
      { length: 64, special: false },
      { parent: args.parent, provider: args.randomProvider },
    ).result;
  const smtp = args.smtp;
  const configData = {
    NODE_ENV: "production",
    APP_URL: `https://${args.hosts.app}`,
    API_URL: `https://${args.hosts.api}`,
    NEXT_PUBLIC_API_URL: `https://${args.hosts.api}`,
    // web's server-side calls: inside the namespace (allow-web-to-api), not out through
    // Cloudflare, whose per-IP rate limits would count every visitor as the NAT gateway.
    API_INTERNAL_URL: `http://${appIdentity("api").name}:${args.apps.api.port ?? 3001}`,
    S3_BUCKET: args.data.uploadsBucket,
    AWS_REGION: args.data.region,
    NEXT_TELEMETRY_DISABLED: "1",
    // The names dev's Docker stack gives the apps for MailHog (components/local).
    ...(smtp ? { SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port), SMTP_USER: smtp.username } : {}),
  };
  const secretData = {
    DATABASE_URL: args.data.databaseUrl,
    DATABASE_READ_URL: args.data.databaseReadUrl,
    REDIS_URL: args.data.redisUrl,
    JWT_SECRET: generated("jwt-secret"),
    ENCRYPTION_KEY: generated("encryption-key"),
    ...(smtp
      ? { SMTP_PASSWORD: smtp.password ?? missingSecret("smtpPassword", "the SMTP user's password") }
      : {}),
  };
  // The RDS CA bundle, where DATABASE_URL's sslrootcert expects it (sslmode=verify-full).
  const ca = args.data.databaseCa;
  const caData = { [ca.fileName]: ca.pem };
  const config = new k8s.core.v1.ConfigMap(
    "config",
    { metadata: metadata(CONFIG_MAP), data: configData },
    child,
  );
  const secrets = new k8s.core.v1.Secret(
    "secrets",
    { metadata: metadata(SECRET), type: "Opaque", data: toSecretData(secretData) },
    child,
  );
  const caBundle = new k8s.core.v1.ConfigMap(
    "rds-ca",
    { metadata: metadata(DATABASE_CA_CONFIG_MAP), data: caData },
    child,
  );
  const read: Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>> = {
    [CONFIG_MAP]: configData,
    [SECRET]: secretData,
    [DATABASE_CA_CONFIG_MAP]: caData,
  };
  const resources: pulumi.Resource[] = [config, secrets, caBundle];
  const registry = args.registry;
  if (registry) {
    const token = registry.token ?? missingSecret("registryToken", "token with read access to the packages");
    const pullData = { ".dockerconfigjson": dockerConfigJson(registry.server, registry.username, token) };
    resources.push(
      new k8s.core.v1.Secret(
        "registry",
        {
          metadata: metadata(REGISTRY_SECRET),
          type: "kubernetes.io/dockerconfigjson",
          data: toSecretData(pullData),
        },
        child,
      ),
    );
    read[REGISTRY_SECRET] = pullData;
  }
  return {
    resources,
    configMapName: config.metadata.name,
    secretName: secrets.metadata.name,
    databaseCaConfigMap: caBundle.metadata.name,
    imagePullSecrets: registry ? [{ name: REGISTRY_SECRET }] : [],
    checksum: configChecksum(read),
    databaseChecksum: configChecksum({
      [SECRET]: { DATABASE_URL: secretData.DATABASE_URL },
      [DATABASE_CA_CONFIG_MAP]: caData,
    }),
  };
}

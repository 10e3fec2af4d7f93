import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Settings } from "../../settings";
import { podIdentityRole } from "../aws/iam";
import { configChecksum } from "../checksum";
import type { DataConnection } from "../data";
import { AppService } from "./app";
import { namespaceQuota } from "./capacity";
import { ingresses } from "./ingress";
import { MIGRATION_AWAIT_TIMEOUT, migrationJob } from "./migrations";
import { networkPolicies } from "./network";
import { appIdentity, type DatabaseCaMount } from "./spec";

/** The ConfigMap and the Secret every app (and the migrations) read their environment from. */
export const CONFIG_MAP = "healthflow-config";
export const SECRET = "healthflow-secrets";
/** The ConfigMap with the RDS CA bundle, where DATABASE_URL's sslrootcert expects it. */
export const DATABASE_CA_CONFIG_MAP = "healthflow-rds-ca";

/** What HealthFlow's apps need on the cluster. */
export interface WorkloadsArgs {
  /** `healthflow:apps`. Required. */
  apps: Settings["apps"];
  edge: Settings["edge"];
  hosts: { app: string; api: string };
  /** The app namespace's name (from its Namespace resource). */
  namespace: pulumi.Input<string>;
  /** The data layer's outputs: URLs (secrets), the uploads bucket and its key. */
  data: DataConnection;
  clusterName: pulumi.Input<string>;
  databaseCidrs: string[];
  vpcCidr: string;
  awsProvider: aws.Provider;
  k8sProvider: k8s.Provider;
  randomProvider: random.Provider;
  /**
   * What the Ingresses wait for: the ingress controller (Pulumi awaits an Ingress until the
   * controller publishes its load balancer) and cert-manager's issuers. Default: nothing.
   */
  ingressDependsOn?: pulumi.Resource[];
}

/** Read/write on the uploads bucket's objects, through S3 only for its key. */
export function uploadsPolicy(bucketArn: pulumi.Input<string>, region: string): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn },
      {
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: pulumi.interpolate`${bucketArn}/*`,
      },
      {
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"],
        Resource: "*",
        // Only through S3, only for this bucket (its Bucket Key's encryption context is the bucket ARN).
        Condition: {
          StringEquals: {
            "kms:ViaService": `s3.${region}.amazonaws.com`,
            "kms:EncryptionContext:aws:s3:arn": bucketArn,
          },
        },
      },
    ],
  });
}

/**
 * web, api and worker as AppServices; their config, secrets and S3 access (Pod Identity, no
 * static keys); the api's migrations before its rollout; the namespace's quota, limits and
 * default-deny network; and the Ingresses of both hosts.
 */
export class Workloads extends pulumi.ComponentResource {
  readonly apps: Record<"web" | "api" | "worker", AppService>;

  constructor(name: string, args: WorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:workloads:Workloads", name, {}, opts);
    const k8sChild = { parent: this, provider: args.k8sProvider };
    const awsChild = { parent: this, provider: args.awsProvider };
    const meta = (name: string) => ({
      name,
      namespace: args.namespace,
      labels: { "app.kubernetes.io/part-of": "healthflow" },
    });

    new k8s.core.v1.ResourceQuota(
      "quota",
      { metadata: meta("healthflow-quota"), spec: { hard: namespaceQuota(args.apps) } },
      k8sChild,
    );
    new k8s.core.v1.LimitRange(
      "limits",
      {
        metadata: meta("healthflow-limits"),
        spec: {
          limits: [
            {
              type: "Container",
              defaultRequest: { cpu: "100m", memory: "128Mi" },
              default: { cpu: "500m", memory: "512Mi" },
              max: { cpu: "4", memory: "8Gi" },
            },
          ],
        },
      },
      k8sChild,
    );
    for (const [policy, spec] of Object.entries(
      networkPolicies({
        databaseCidrs: args.databaseCidrs,
        vpcCidr: args.vpcCidr,
        ports: { web: args.apps.web.port ?? 3000, api: args.apps.api.port ?? 3001 },
      }),
    )) {
      new k8s.networking.v1.NetworkPolicy(policy, { metadata: meta(policy), spec }, k8sChild);
    }

    const secret = (id: string) =>
      new random.RandomPassword(
        id,
        { length: 64, special: false },
        { parent: this, provider: args.randomProvider },
      ).result;
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
    };
    const secretData = {
      DATABASE_URL: args.data.databaseUrl,
      DATABASE_READ_URL: args.data.databaseReadUrl,
      REDIS_URL: args.data.redisUrl,
      JWT_SECRET: secret("jwt-secret"),
      ENCRYPTION_KEY: secret("encryption-key"),
    };
    // The RDS CA bundle, where DATABASE_URL's sslrootcert expects it (sslmode=verify-full).
    const ca = args.data.databaseCa;
    const caData = { [ca.fileName]: ca.pem };
    const config = new k8s.core.v1.ConfigMap(
      "config",
      { metadata: meta(CONFIG_MAP), data: configData },
      k8sChild,
    );
    const secrets = new k8s.core.v1.Secret(
      "secrets",
      { metadata: meta(SECRET), type: "Opaque", stringData: secretData },
      k8sChild,
    );
    const caBundle = new k8s.core.v1.ConfigMap(
      "rds-ca",
      { metadata: meta(DATABASE_CA_CONFIG_MAP), data: caData },
      k8sChild,
    );
    // The apps and the migrations read all three: a change to any rolls them (components/checksum.ts).
    const checksum = configChecksum({
      [CONFIG_MAP]: configData,
      [SECRET]: secretData,
      [DATABASE_CA_CONFIG_MAP]: caData,
    });
    // The apps take the ConfigMap's name as an output (they wait for it); the migration Job's spec is
    // hashed into its name, so it takes the plain name and waits for the ConfigMap explicitly.
    const databaseCa: DatabaseCaMount = { configMap: caBundle.metadata.name, mountDir: ca.mountDir };

    const uploadsRole = podIdentityRole("uploads", args.awsProvider, this);
    new aws.iam.RolePolicy(
      "uploads-access",
      { role: uploadsRole.id, policy: uploadsPolicy(args.data.uploadsBucketArn, args.data.region) },
      awsChild,
    );
    const migrations = this.migrationJob(
      args,
      { configMap: DATABASE_CA_CONFIG_MAP, mountDir: ca.mountDir },
      checksum,
      [config, secrets, caBundle],
    );

    const service = (app: "web" | "api" | "worker", rolloutAfter?: pulumi.Resource[]) =>
      new AppService(
        app,
        {
          app,
          config: args.apps[app],
          namespace: args.namespace,
          configMapName: config.metadata.name,
          secretName: secrets.metadata.name,
          service: app !== "worker",
          provider: args.k8sProvider,
          rolloutAfter,
          databaseCa,
          configChecksum: checksum,
        },
        { parent: this },
      );
    this.apps = {
      web: service("web"),
      api: service("api", [migrations]),
      worker: service("worker", [migrations]),
    };
    for (const app of ["api", "worker"] as const) {
      new aws.eks.PodIdentityAssociation(
        `${app}-uploads`,
        {
          clusterName: args.clusterName,
          namespace: args.namespace,
          serviceAccount: appIdentity(app).name,
          roleArn: uploadsRole.arn,
        },
        awsChild,
      );
    }

    const ports = { web: args.apps.web.port ?? 3000, api: args.apps.api.port ?? 3001 };
    for (const ingress of ingresses({ edge: args.edge, hosts: args.hosts, ports })) {
      new k8s.networking.v1.Ingress(
        ingress.name,
        {
          metadata: { name: ingress.name, namespace: args.namespace, annotations: ingress.annotations },
          spec: ingress.spec,
        },
        {
          ...k8sChild,
          dependsOn: [
            ...[this.apps.web.service, this.apps.api.service].filter((s): s is k8s.core.v1.Service => !!s),
            ...(args.ingressDependsOn ?? []),
          ],
        },
      );
    }
    this.registerOutputs({
      deployments: Object.values(this.apps).map((a) => a.deployment.metadata.name),
      configMap: config.metadata.name,
      secret: secrets.metadata.name,
    });
  }

  /**
   * Prisma migrations before the api and worker roll out: a new Job (new name) whenever its spec
   * changes, a no-op otherwise; a failed one is replaced on the next update (migrations.ts).
   */
  private migrationJob(
    args: WorkloadsArgs,
    databaseCa: { configMap: string; mountDir: string },
    checksum: pulumi.Output<string>,
    environment: pulumi.Resource[],
  ) {
    const job = migrationJob({
      image: args.apps.api.image,
      configMapName: CONFIG_MAP,
      secretName: SECRET,
      databaseCa,
      configChecksum: checksum,
    });
    return new k8s.batch.v1.Job(
      "api-migrate",
      {
        metadata: {
          name: job.name,
          namespace: args.namespace,
          labels: job.labels,
          annotations: job.annotations,
        },
        spec: job.spec,
      },
      {
        parent: this,
        provider: args.k8sProvider,
        dependsOn: environment,
        customTimeouts: { create: MIGRATION_AWAIT_TIMEOUT, update: MIGRATION_AWAIT_TIMEOUT },
      },
    );
  }
}

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Settings } from "../../settings";
import { podIdentityRole } from "../aws/iam";
import { databaseAuditJob } from "./databaseAudit";
import type { DataConnection } from "../data";
import { sharedObjectMetadata } from "../names";
import { AppService } from "./app";
import {
  appEnvironment,
  type AppEnvironment,
  type AppEnvironmentArgs,
  CONFIG_MAP,
  DATABASE_CA_CONFIG_MAP,
  SECRET,
} from "./environment";
import { namespaceQuota } from "./capacity";
import { ingresses } from "./ingress";
import { MIGRATION_AWAIT_TIMEOUT, migrationJob } from "./migrations";
import { networkPolicies } from "./network";
import { appIdentity, type DatabaseCaMount } from "./spec";

export { CONFIG_MAP, DATABASE_CA_CONFIG_MAP, REGISTRY_SECRET, SECRET } from "./environment";

/** What HealthFlow's apps need on the cluster. */
export interface WorkloadsArgs {
  /** `healthflow:apps`. Required. */
  apps: Settings["apps"];
  /**
   * The database's audit set-up after each migration (pgaudit, components/data/audit.ts): a psql
   * image of the database's major and the database's owner. Default: none.
   */
  databaseAudit?: { image: string; owner: string };
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
  /** The mail provider and its password (staging/production). Default: no SMTP settings. */
  smtp?: AppEnvironmentArgs["smtp"];
  /** The private registry and its token. Default: public images. */
  registry?: AppEnvironmentArgs["registry"];
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
    const meta = (name: string) => sharedObjectMetadata(name, args.namespace);

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
        smtpPort: args.smtp?.port,
      }),
    )) {
      new k8s.networking.v1.NetworkPolicy(policy, { metadata: meta(policy), spec }, k8sChild);
    }

    const environment = appEnvironment({
      apps: args.apps,
      hosts: args.hosts,
      namespace: args.namespace,
      data: args.data,
      smtp: args.smtp,
      registry: args.registry,
      k8sProvider: args.k8sProvider,
      randomProvider: args.randomProvider,
      parent: this,
    });
    const checksum = environment.checksum;
    const ca = args.data.databaseCa;
    // The apps take the ConfigMap's name as an output (they wait for it); the migration Job's spec is
    // hashed into its name, so it takes the plain name and waits for the ConfigMap explicitly.
    const databaseCa: DatabaseCaMount = { configMap: environment.databaseCaConfigMap, mountDir: ca.mountDir };

    const uploadsRole = podIdentityRole("uploads", args.awsProvider, this);
    const uploadsAccess = new aws.iam.RolePolicy(
      "uploads-access",
      { role: uploadsRole.id, policy: uploadsPolicy(args.data.uploadsBucketArn, args.data.region) },
      awsChild,
    );
    const migrations = this.migrationJob(
      args,
      { configMap: DATABASE_CA_CONFIG_MAP, mountDir: ca.mountDir },
      checksum,
      environment,
    );
    // pgaudit's role and grants on what the migrations created, before the apps read a row.
    const audited = args.databaseAudit
      ? [
          this.databaseAuditJob(args, args.databaseAudit, ca.mountDir, environment.databaseChecksum, [
            ...environment.resources,
            migrations,
          ]),
        ]
      : [];

    const service = (app: "web" | "api" | "worker", rolloutAfter?: pulumi.Resource[]) =>
      new AppService(
        app,
        {
          app,
          config: args.apps[app],
          namespace: args.namespace,
          configMapName: environment.configMapName,
          secretName: environment.secretName,
          imagePullSecrets: environment.imagePullSecrets,
          service: app !== "worker",
          provider: args.k8sProvider,
          rolloutAfter,
          databaseCa,
          configChecksum: checksum,
        },
        { parent: this },
      );
    // EKS injects Pod Identity credentials when it admits a pod, and only for an association that
    // exists then ("When Amazon EKS starts a new pod that uses a service account with an EKS Pod
    // Identity association, the cluster adds..." EKS user guide, pod-id-how-it-works): a pod created
    // before its association runs without credentials until it is restarted. So the api and worker
    // roll out after their association and the role's permissions.
    const uploads = (app: "api" | "worker") =>
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
    this.apps = {
      web: service("web"),
      api: service("api", [migrations, ...audited, uploads("api"), uploadsAccess]),
      worker: service("worker", [migrations, ...audited, uploads("worker"), uploadsAccess]),
    };

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
      configMap: environment.configMapName,
      secret: environment.secretName,
    });
  }

  /** The database's audit set-up (components/workloads/databaseAudit.ts), after `after`. */
  private databaseAuditJob(
    args: WorkloadsArgs,
    audit: NonNullable<WorkloadsArgs["databaseAudit"]>,
    caMountDir: string,
    configChecksum: pulumi.Output<string>,
    after: pulumi.Resource[],
  ) {
    const job = databaseAuditJob({
      ...audit,
      secretName: SECRET,
      databaseCa: { configMap: DATABASE_CA_CONFIG_MAP, mountDir: caMountDir },
      configChecksum,
    });
    return this.job("db-audit", job, args, { dependsOn: after });
  }

  /** A Job named from its spec (migrations.ts, databaseAudit.ts) in the app namespace. */
  private job(
    id: string,
    job: {
      name: pulumi.Input<string>;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      spec: k8s.types.input.batch.v1.JobSpec;
    },
    args: WorkloadsArgs,
    opts: pulumi.CustomResourceOptions,
  ) {
    return new k8s.batch.v1.Job(
      id,
      {
        metadata: {
          name: job.name,
          namespace: args.namespace,
          labels: job.labels,
          annotations: job.annotations,
        },
        spec: job.spec,
      },
      { parent: this, provider: args.k8sProvider, ...opts },
    );
  }

  /**
   * Prisma migrations before the api and worker roll out: a new Job (new name) whenever its spec
   * changes, a no-op otherwise; a failed one is replaced on the next update (migrations.ts).
   */
  private migrationJob(
    args: WorkloadsArgs,
    databaseCa: { configMap: string; mountDir: string },
    checksum: pulumi.Output<string>,
    environment: AppEnvironment,
  ) {
    const job = migrationJob({
      image: args.apps.api.image,
      configMapName: CONFIG_MAP,
      secretName: SECRET,
      databaseCa,
      configChecksum: checksum,
      imagePullSecrets: environment.imagePullSecrets,
    });
    return this.job("api-migrate", job, args, {
      dependsOn: environment.resources,
      customTimeouts: { create: MIGRATION_AWAIT_TIMEOUT, update: MIGRATION_AWAIT_TIMEOUT },
    });
  }
}

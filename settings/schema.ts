import { z } from "zod";
import { PLAN_ORDER } from "./catalog/cloudflarePlans";
import { cidrProblem, cpuCores, cronProblem, hostnameProblem, memoryBytes } from "./formats";

// The config is parsed once per run: zod's compiled fast path (generated code per object schema)
// costs more to build than it saves on one parse (about 25 ms against 10 here).
z.config({ jitless: true });

// The shape of every `healthflow:*` config key. Each top-level field here is one key in
// Pulumi.<stack>.yaml (and is declared in Pulumi.yaml); nested objects are structured config.
// Checks that need more than one value (min <= max, staging refusing `latest`, sections that a
// cloud stack must have) live in `crossFieldProblems` (checks.ts), so every problem is reported at once.

export const ENVIRONMENTS = ["dev", "staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * Where Alertmanager sends alerts: each is one of its receiver kinds (`<kind>_configs`), which
 * reads `alertReceiverSecret` from a file: Slack's incoming webhook URL, the Microsoft Teams
 * Workflows webhook URL (msteamsv2, Alertmanager >= 0.28), the PagerDuty Events API v2
 * integration key, or the URL of anything that takes Alertmanager's own webhook JSON.
 */
export const ALERT_RECEIVERS = ["slack", "msteamsv2", "pagerduty", "webhook"] as const;
export type AlertReceiverKind = (typeof ALERT_RECEIVERS)[number];

/** A secret's value in a ConfigProblem: reported as "(a secret, not shown)", never echoed. */
export const SECRET_VALUE = Symbol("secret");

const withFormat = (check: (value: string) => string | null) =>
  z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: value });
  });

const hostname = withFormat(hostnameProblem);
const cidr = withFormat(cidrProblem);
const cron = withFormat(cronProblem);
const cpu = withFormat((q) =>
  Number.isFinite(cpuCores(q)) && cpuCores(q) > 0 ? null : `must be a CPU quantity such as "250m" or "2"`,
);
const memory = withFormat((q) =>
  Number.isFinite(memoryBytes(q)) && memoryBytes(q) > 0
    ? null
    : `must be a memory quantity such as "512Mi" or "2Gi"`,
);
const port = z.number().int().min(1).max(65535);
const positiveInt = z.number().int().min(1);
const percent = z.number().int().min(1).max(100);
const days = z.number().int().min(1).max(3650);
/**
 * Days a CloudWatch Logs group keeps its events: only the values CloudWatch Logs accepts
 * (PutRetentionPolicy; terraform-provider-aws internal/service/logs/group.go, `retention_in_days`
 * validation). 0 (never expire) is left out: every log group here has a retention.
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
const logDays = z.number().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
  message: `must be one of the retentions CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")}`,
});
const iamRoleArn = z.string().regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/, "must be an IAM role ARN");

const resources = z.strictObject({
  requests: z.strictObject({ cpu, memory }),
  limits: z.strictObject({ cpu, memory }),
});

const autoscaling = z.strictObject({
  /** Lower bound of the HPA. */
  minReplicas: positiveInt,
  /** Upper bound of the HPA. */
  maxReplicas: positiveInt,
  /** Target average CPU utilisation, percent of requests (guide: 70). */
  cpuUtilization: percent,
  /** Target average memory utilisation, percent of requests (guide: 80). */
  memoryUtilization: percent,
});

/** An absolute URL path a probe requests. */
const probePath = z
  .string()
  .regex(/^\/[\w.~!$&'()*+,;=:@%/-]*$/, "must be an absolute URL path such as /health");

/**
 * How the kubelet tells the app is up: HTTP paths on its port (the guide's api controller serves
 * `/health`, `/health/live` and `/health/ready`, the default), `tcp` (its port accepts
 * connections: an app without health routes), or `none` (no probe: an app without a port).
 */
const health = z.union([
  z.strictObject({ startup: probePath, liveness: probePath, readiness: probePath }),
  z.enum(["tcp", "none"]),
]);

const app = z.strictObject({
  /** Image reference by exact tag or digest. */
  image: z.string().min(1),
  /** Port the app listens on; absent for an app that serves nothing (then `health: none`). */
  port: port.optional(),
  /** Its probes. Default: the guide's api paths, `/health`, `/health/live`, `/health/ready` (none without a port). */
  health: health.optional(),
  resources,
  autoscaling,
});

const addonVersion = z
  .string()
  .regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, "must be an exact EKS add-on version such as v1.20.4-eksbuild.1");

/**
 * A node group, created once per availability zone (components/cluster/nodes.ts): the sizes are
 * each zone's, so the cluster has `network.availabilityZones` times as many nodes.
 */
const nodeGroup = z.strictObject({
  // EKS caps node group names at 63 characters; the prefix gets 29 more: the zone's letter between
  // dashes, then a dash and EKS's unique 26-character suffix.
  name: z.string().regex(/^[a-z][a-z0-9-]{0,33}$/, "must be 1-34 lower-case letters, digits and dashes"),
  instanceTypes: z.array(z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, "must be an EC2 instance type")).min(1),
  /** "arm64" (Graviton, the default) or "x86_64". */
  architecture: z.enum(["arm64", "x86_64"]),
  minSize: z.number().int().min(0),
  desiredSize: z.number().int().min(0),
  maxSize: positiveInt,
  diskSizeGiB: z.number().int().min(20).max(2000),
  /**
   * The EKS-optimized Amazon Linux 2023 AMI release the nodes run, `<Kubernetes version>-<date>`
   * (awslabs/amazon-eks-ami CHANGELOG; the preflight checks AWS publishes it for the group's
   * architecture in the region). Its minor is the cluster's: the nodes follow the control plane.
   */
  releaseVersion: z
    .string()
    .regex(/^\d+\.\d+\.\d+-\d{8}$/, "must be an EKS-optimized AL2023 AMI release such as 1.35.6-20260714"),
});

export const configSchema = z.strictObject({
  environment: z.enum(ENVIRONMENTS),
  aws: z
    .strictObject({
      region: z.literal("sa-east-1", { error: `must be "sa-east-1": patients' data stays in Brazil (LGPD)` }),
    })
    .optional(),
  dns: z.strictObject({
    /** The Cloudflare zone, e.g. healtflow.com.br. */
    zone: hostname,
    appHost: hostname,
    apiHost: hostname,
    /** Cloudflare (staging/production): the zone is looked up by name with the provider's token. */
    cloudflare: z
      .strictObject({
        /**
         * This stack declares everything zone-wide: the zone settings (SSL mode, minimum TLS, HSTS,
         * ...) and the rulesets (WAF, rate limits, cache, headers). Cloudflare has one entry point
         * per phase and one value per setting, so exactly one stack per zone owns them; the others
         * add their records only.
         */
        ownsZone: z.boolean(),
        /** The zone's owner only: hosts of the other stacks in the zone, which its rules cover too. */
        sharedWith: z.array(z.strictObject({ appHost: hostname, apiHost: hostname })).optional(),
        /**
         * A Cloudflare zone of its own where cert-manager answers DNS-01: `_acme-challenge.<host>`
         * is a CNAME into it, and cert-manager's token may edit this zone only. One per stack.
         */
        acmeChallengeZone: hostname,
      })
      .optional(),
  }),
  apps: z.strictObject({ web: app, api: app, worker: app }),
  network: z
    .strictObject({
      cidr,
      availabilityZones: z.number().int().min(2).max(3),
      natGateways: z.enum(["single", "perAz"]),
      flowLogRetentionDays: logDays,
    })
    .optional(),
  cluster: z
    .strictObject({
      kubernetesVersion: z
        .string()
        .regex(/^1\.3[3-6]$/, "must be an EKS version in standard support, 1.33 to 1.36"),
      publicAccessCidrs: z.array(cidr),
      adminRoleArns: z.array(iamRoleArn).min(1),
      readOnlyRoleArns: z.array(iamRoleArn),
      /** CI roles that preview and check drift: read everything, Secrets included; change nothing. */
      previewRoleArns: z.array(iamRoleArn),
      /**
       * What EKS does when `kubernetesVersion` leaves standard support (EKS user guide, "Cluster
       * upgrade policy"): STANDARD upgrades the control plane itself to the next minor; EXTENDED
       * keeps it, at the extended-support price, until the team upgrades (docs/upgrades.md).
       */
      supportType: z.enum(["STANDARD", "EXTENDED"]),
      /** Days the control-plane logs are kept (a retention CloudWatch Logs accepts). */
      logRetentionDays: logDays,
      nodeGroups: z.array(nodeGroup).min(1),
      /** EKS managed add-on versions, pinned (`aws eks describe-addon-versions`). */
      addons: z.strictObject({
        vpcCni: addonVersion,
        kubeProxy: addonVersion,
        podIdentityAgent: addonVersion,
        coredns: addonVersion,
        ebsCsiDriver: addonVersion,
        metricsServer: addonVersion,
      }),
      /** Share of the cluster kept free at every HPA's maximum (system pods, monitoring, jobs). */
      headroomPercent: z.number().int().min(0).max(90),
      autoscaler: z.strictObject({
        /** `cluster-autoscaler` chart version (values in charts/cluster-autoscaler/). */
        chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, "must be an exact chart version such as 9.52.1"),
        /**
         * The Cluster Autoscaler image tag (registry.k8s.io/autoscaling/cluster-autoscaler), whose
         * minor must be the cluster's (the project's support policy); the chart's own default lags.
         */
        imageTag: z
          .string()
          .regex(/^v\d+\.\d+\.\d+$/, "must be a Cluster Autoscaler release tag such as v1.35.0"),
      }),
    })
    .optional(),
  database: z
    .strictObject({
      /**
       * The PostgreSQL major version only ("16"): RDS applies minor versions itself in the
       * maintenance window (autoMinorVersionUpgrade), including the ones it forces.
       */
      engineVersion: z
        .string()
        .regex(
          /^1[3-9]$/,
          "must be a PostgreSQL major version such as 16: RDS applies the minor versions itself (autoMinorVersionUpgrade)",
        ),
      instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "must be an RDS instance class"),
      allocatedStorageGiB: z.number().int().min(20).max(65536),
      maxAllocatedStorageGiB: z.number().int().min(20).max(65536),
      multiAz: z.boolean(),
      readReplicas: z.number().int().min(0).max(5),
      backupRetentionDays: z.number().int().min(1).max(35),
      /** Days the exported PostgreSQL logs are kept (a retention CloudWatch Logs accepts). */
      logRetentionDays: logDays,
      /** Apply size changes at once (true) or in the weekly maintenance window (false). */
      applyImmediately: z.boolean(),
    })
    .optional(),
  cache: z
    .strictObject({
      engine: z.enum(["valkey", "redis"]),
      engineVersion: z.string().regex(/^\d+\.\d+$/, "must be a major.minor version such as 8.1"),
      nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, "must be an ElastiCache node type"),
      nodes: z.number().int().min(1).max(6),
      automaticFailover: z.boolean(),
      snapshotRetentionDays: z.number().int().min(0).max(35),
    })
    .optional(),
  backups: z.strictObject({
    /** When the pg_dump CronJob runs, in `timeZone` (guide: daily at 02:00). */
    schedule: cron,
    /** IANA time zone of the schedule, e.g. America/Sao_Paulo. */
    timeZone: z
      .string()
      .regex(/^[A-Za-z]+(\/[A-Za-z_]+)+$|^UTC$/, "must be an IANA time zone such as America/Sao_Paulo"),
    /** Days a backup is kept before it expires. */
    retentionDays: days,
    /** S3 Object Lock default retention (staging/production). COMPLIANCE in production. */
    objectLock: z.strictObject({ mode: z.enum(["GOVERNANCE", "COMPLIANCE"]), days }).optional(),
    /** Storage tiers over time (staging/production). */
    tiering: z
      .strictObject({ infrequentAccessAfterDays: z.number().int().min(30), archiveAfterDays: days })
      .optional(),
    /** The CronJob's images, exact tags: pg_dump (match the RDS major) and the AWS CLI. */
    images: z.strictObject({ postgres: z.string().min(1), awsCli: z.string().min(1) }).optional(),
    /** Size of the job's scratch volume (gp3) that holds one compressed dump (staging/production). */
    scratchGiB: z.number().int().min(1).max(16384).optional(),
    /**
     * The restore drill (staging/production; scripts/drill.sh): the newest dump restored into a
     * throwaway PostgreSQL and checked against its manifest, on `schedule` in `timeZone`; its
     * scratch volume holds the dump and the restored database.
     */
    drill: z.strictObject({ schedule: cron, scratchGiB: z.number().int().min(1).max(16384) }).optional(),
  }),
  /**
   * The CI runners inside the VPC (staging/production): CodeBuild-hosted GitHub Actions runners that
   * run the deploy, preview and drift jobs of this stack, so they reach a private cluster.
   */
  runners: z
    .strictObject({
      /** This repository on GitHub, `owner/name`: the only one whose jobs the runners take. */
      repository: z
        .string()
        .regex(
          /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/,
          "must be a GitHub repository, owner/name",
        ),
      /**
       * The AWS CodeConnections connection to GitHub, made once by a person in the console (it
       * installs the AWS Connector GitHub App); an ARN, never a token (docs/deploying.md#bootstrap-the-first-deployment-of-a-fresh-account).
       */
      connectionArn: z
        .string()
        .regex(
          /^arn:aws:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/,
          "must be the ARN of a CodeConnections connection (arn:aws:codeconnections:<region>:<account>:connection/<id>)",
        ),
      /** CodeBuild's machine for a job: BUILD_GENERAL1_MEDIUM is 4 vCPU / 7 GB. */
      computeType: z.enum(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"]),
      /** Days the runners' job logs are kept (a retention CloudWatch Logs accepts). */
      logRetentionDays: logDays,
    })
    .optional(),
  /**
   * The audit trail (staging/production): CloudTrail of every region's management events and of the
   * reads and writes of the uploads and backups, kept under Object Lock, with the CIS alarms.
   */
  audit: z
    .strictObject({
      /**
       * `create`: this stack's own multi-region trail. `organization`: an AWS Organizations trail
       * already records this account (its bucket and alarms live in the organization's log
       * account), so none is created here: no duplicate trail, no double bill.
       */
      trail: z.enum(["create", "organization"]),
      /** Days each log file is locked and kept in the trail's bucket; at least backups.retentionDays. */
      retentionDays: days,
      /** Object Lock mode of the trail's bucket: COMPLIANCE in production (not even root shortens it). */
      lockMode: z.enum(["GOVERNANCE", "COMPLIANCE"]),
      /** Days CloudWatch Logs keeps the trail's events for the alarms' metric filters. */
      logRetentionDays: logDays,
      /**
       * GuardDuty's detector (one per account and region): `create` this stack's own, or use the
       * `existing` one of the account (the stack then manages its protections and alerts only).
       */
      detector: z.enum(["create", "existing"]),
      /**
       * The logs that leave the nodes (components/audit/containerLogs.ts): Fluent Bit ships the app
       * namespace's container logs and the ingress controller's JSON access log to CloudWatch Logs.
       */
      containerLogs: z.strictObject({
        /** fluent/helm-charts `fluent-bit` chart version; charts/fluent-bit/<version>/ holds its values.yaml. */
        chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, "must be an exact chart version such as 0.58.1"),
        /**
         * Fluent Bit's image tag (cr.fluentbit.io/fluent/fluent-bit); the chart's default follows its
         * appVersion. 4.0.0 or later: every 4.x release reads EKS Pod Identity's credentials
         * (fluent/fluent-bit f29d2a3, src/aws/flb_aws_credentials_http.c; of 3.2, only 3.2.10 and later).
         */
        imageTag: z
          .string()
          .regex(/^\d+\.\d+\.\d+$/, "must be a Fluent Bit release such as 5.1.1")
          .refine((tag) => Number(tag.split(".")[0]) >= 4, {
            message:
              "must be Fluent Bit 4.0.0 or later, the first major whose every release reads EKS Pod Identity's credentials",
          }),
        /** Days CloudWatch Logs keeps the shipped logs (a retention CloudWatch Logs accepts). */
        retentionDays: logDays,
      }),
    })
    .optional(),
  storage: z
    .strictObject({
      /** Days a replaced or deleted upload stays recoverable (noncurrent versions). */
      noncurrentVersionDays: days,
    })
    .optional(),
  edge: z.strictObject({
    cloudflarePlan: z.enum(PLAN_ORDER),
    maxBodySizeMb: z.number().int().min(1).max(500),
    /**
     * What the ingress controller does with the zone's origin-pull client certificate (docs/edge.md,
     * "Origin authentication"): "on" (default) refuses a request without one our CA signed;
     * "optional" verifies one if sent and lets the rest through, the transition Cloudflare's docs
     * prescribe while a certificate becomes active (a stack already serving visitors, a rotation).
     */
    originPullValidation: z.enum(["on", "optional"]).optional(),
    rateLimits: z.strictObject({
      general: z.strictObject({ requestsPerSecond: positiveInt, burst: z.number().int().min(0) }),
      auth: z.strictObject({
        path: z.string().regex(/^\/[\w/.-]*$/, "must be a URL path starting with /"),
        requestsPerMinute: positiveInt,
        burst: z.number().int().min(0),
      }),
    }),
  }),
  monitoring: z.strictObject({
    prometheusRetentionDays: days,
    prometheusStorageGiB: z.number().int().min(1).max(16384),
    /** kube-prometheus-stack chart version (staging/production); charts/kube-prometheus-stack/<version>/ holds its values.yaml. */
    chartVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, "must be an exact chart version such as 88.5.3")
      .optional(),
    /** Prometheus' own container (staging/production): it grows with series and retention. */
    prometheusResources: resources.optional(),
    /**
     * Replicas of Prometheus and Alertmanager (staging/production); production needs 2, and from 2
     * each gets a PodDisruptionBudget, so a node drain never leaves the stack without alerting.
     */
    replicas: z.number().int().min(1).max(3).optional(),
    /** Which kind of receiver `alertReceiverSecret` belongs to (staging/production; production needs one). */
    alertReceiver: z.enum(ALERT_RECEIVERS).optional(),
    /** Who the CloudWatch alarms' SNS topic e-mails (each confirms once); may be empty. */
    alarmEmails: z.array(z.email({ error: "must be an e-mail address" })).optional(),
    /** CloudWatch alarm thresholds for what lives outside the cluster (staging/production). */
    alarms: z
      .strictObject({
        /** RDS CPUUtilization, percent, sustained 15 minutes. */
        databaseCpuPercent: percent,
        /** RDS FreeStorageSpace floor, GiB. */
        databaseFreeStorageGiB: positiveInt,
        /** RDS DatabaseConnections ceiling (about 80 % of the instance class's max_connections). */
        databaseConnections: positiveInt,
        /** RDS ReplicaLag ceiling on read replicas, seconds. */
        replicaLagSeconds: positiveInt,
        /** ElastiCache DatabaseMemoryUsagePercentage ceiling (Bull needs noeviction: memory full = errors). */
        cacheMemoryPercent: percent,
      })
      .optional(),
  }),
  local: z
    .strictObject({
      ports: z.strictObject({
        web: port,
        api: port,
        postgres: port,
        redis: port,
        minioApi: port,
        minioConsole: port,
        mailhogSmtp: port,
        mailhogUi: port,
        /** The guide's nginx in front of the apps (runApps): plain HTTP (redirects) and HTTPS. */
        nginxHttp: port,
        nginxHttps: port,
      }),
      images: z.strictObject({
        postgres: z.string().min(1),
        redis: z.string().min(1),
        minio: z.string().min(1),
        minioClient: z.string().min(1),
        mailhog: z.string().min(1),
        nginx: z.string().min(1),
      }),
      /** Run the web and api apps as containers too (from the images in `apps`), behind the guide's nginx. */
      runApps: z.boolean(),
    })
    .optional(),
  /** The ingress of staging/production: the F5 NGINX Ingress Controller and cert-manager. */
  ingress: z
    .strictObject({
      controller: z.strictObject({
        /** Version of the `nginx-ingress` chart (F5 NGINX Ingress Controller); charts/nginx-ingress/<version>/ holds its values. */
        chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, "must be an exact chart version such as 2.6.4"),
        /** Bounds of the controller's HPA; production needs >= 2 (a PDB keeps one serving). */
        minReplicas: positiveInt,
        maxReplicas: positiveInt,
        resources,
      }),
      certManager: z.strictObject({
        /** Version of the `cert-manager` chart; charts/cert-manager/<version>/ holds its values. */
        chartVersion: z.string().regex(/^v\d+\.\d+\.\d+$/, "must be an exact chart version such as v1.21.1"),
        /** Replicas of the controller, webhook and cainjector (leader election; PDBs from 2). */
        replicas: positiveInt,
      }),
      /** The Let's Encrypt account's contact address. */
      acmeEmail: z.email({ error: "must be an e-mail address" }),
    })
    .optional(),
  /**
   * The alert receiver's credential, of the kind `monitoring.alertReceiver` names (a URL, or
   * PagerDuty's integration key); a secret (`pulumi config set --secret`).
   */
  alertReceiverSecret: z.string().min(1).optional(),
  /**
   * The dead man's switch: a URL (healthchecks.io, Dead Man's Snitch, Cronitor...) Alertmanager
   * POSTs the always-firing Watchdog alert to every minute, which pages when the posts stop; a secret.
   */
  alertHeartbeatUrl: z.url({ protocol: /^https$/, error: "must be an https:// URL" }).optional(),
  /** Cloudflare API token for cert-manager's DNS-01 (Zone › Zone › Read and Zone › DNS › Edit on dns.cloudflare.acmeChallengeZone only); a secret. */
  cloudflareDnsToken: z.string().min(1).optional(),
  /**
   * The registry the apps' images are pulled from with credentials (a private ghcr.io package):
   * its host and the user; the token is `registryToken`. Absent: the images are public.
   */
  registry: z.strictObject({ server: hostname, username: z.string().min(1) }).optional(),
  /** The registry's token (ghcr.io: a token with read:packages only); a secret. */
  registryToken: z.string().min(1).optional(),
  /** The mail provider's SMTP submission endpoint and user (staging/production); the password is `smtpPassword`. */
  smtp: z
    .strictObject({
      host: hostname,
      /** 587 (STARTTLS) or 465 (implicit TLS): submission ports; 25 is for servers, and AWS throttles it. */
      port: z.union([z.literal(587), z.literal(465)], { error: "must be 587 (STARTTLS) or 465 (TLS)" }),
      username: z.string().min(1),
    })
    .optional(),
  /** The SMTP user's password; a secret. */
  smtpPassword: z.string().min(1).optional(),
});

export type StackConfig = z.infer<typeof configSchema>;
export type AppConfig = StackConfig["apps"]["api"];

/** One problem found in a stack's config: where, which value, and what is allowed. */
export interface ConfigProblem {
  path: (string | number)[];
  value: unknown;
  message: string;
}

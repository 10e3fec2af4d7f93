// HealthFlow's whole stack. Reads the stack's settings once (bad config stops here, before any
// resource exists), asks the AWS account what only it knows (the preflight, before any resource
// either), and composes the components; see README.md for the picture. The program is an async
// function, as Pulumi's Node.js runtime allows (its result is the stack outputs), so the
// preflight's answers are awaited before the first component is built.
import * as pulumi from "@pulumi/pulumi";
import { AuditTrail } from "./components/audit";
import { ContainerLogs } from "./components/audit/containerLogs";
import { ThreatDetection } from "./components/audit/guardduty";
import { Backups } from "./components/backups";
import { Cluster } from "./components/cluster";
import { Data } from "./components/data";
import { DATABASE_NAME, DATABASE_USER } from "./components/data/connection";
import { Edge } from "./components/edge";
import { AcmeDelegation } from "./components/edge/acme";
import { cloudflareIpv4Ranges, cloudflareProvider } from "./components/edge/provider";
import { checkDnsToken, plainValue } from "./components/edge/dnsToken";
import { OriginPullCertificates } from "./components/edge/originPull";
import { edgePreflight } from "./components/edge/preflight";
import { Ingress } from "./components/ingress";
import { LocalStack } from "./components/local";
import { Monitoring } from "./components/monitoring";
import { Network } from "./components/network";
import { Runners } from "./components/runners";
import {
  awsProvider,
  defaultTags,
  localProviders,
  randomProvider,
  tlsProvider,
} from "./components/providers";
import { Workloads } from "./components/workloads";
import { appNamespace } from "./components/workloads/namespace";
import { ConfigError, loadSettings, section, type Settings } from "./settings";
import { BOOTSTRAP_VARIABLE, preflight } from "./settings/preflight";

/** The stack outputs (`pulumi stack output`); null where a kind of stack has no such thing. */
interface StackOutputs {
  /** Which kind of stack this is: dev, staging or production. */
  environment: string;
  /** The public hostnames of the web app and the API. */
  hosts: { app: string; api: string };
  /** What an app needs to connect (DATABASE_URL, REDIS_URL, storage); URLs with credentials are secrets. */
  connection: pulumi.Input<object> | null;
  /** The EKS cluster (staging/production): name, endpoint, kubeconfig (secret), OIDC issuer, VPC. */
  cluster: pulumi.Input<object> | null;
  /** Monitoring (staging/production): Grafana's admin password (secret), the CloudWatch alarms' SNS topic. */
  monitoring: pulumi.Input<object> | null;
}

/** dev: the guide's docker-compose on the local Docker engine. */
function dev(settings: Settings) {
  const providers = localProviders();
  const local = new LocalStack("local", {
    local: section(settings, "local"),
    apps: settings.apps,
    edge: settings.edge,
    dns: settings.dns,
    dockerProvider: providers.docker,
    randomProvider: providers.random,
  });
  return { connection: local.connection, cluster: null, monitoring: null };
}

/**
 * Whether this run is the bootstrap of a fresh account (`HEALTHFLOW_BOOTSTRAP=runners pulumi up`):
 * the network and the CI runners only, from a workstation, so that everything else is deployed
 * from inside the VPC (docs/deploying.md). Any other value is refused.
 */
function bootstrapping(stack: string): boolean {
  const value = process.env[BOOTSTRAP_VARIABLE];
  if (value === undefined || value === "") return false;
  if (value !== "runners") {
    throw new ConfigError(
      `Stack "${stack}": ${BOOTSTRAP_VARIABLE} = "${value}": must be "runners" (the bootstrap of a fresh account) or unset; nothing was created or changed.`,
      [],
    );
  }
  return true;
}

/** staging and production: AWS sa-east-1 and Cloudflare. */
async function cloud(settings: Settings) {
  const namePrefix = `healthflow-${settings.stack}`;
  const bootstrap = bootstrapping(settings.stack);
  const aws = awsProvider(settings);
  // Who deploys, and whether the account offers what the settings ask for: one message listing
  // every problem, before anything is created.
  const account = await preflight(settings, aws, !pulumi.runtime.isDryRun(), namePrefix, bootstrap);
  for (const warning of account.warnings) pulumi.log.warn(warning);
  const region = section(settings, "aws").region;
  const foundation = () => {
    const network = new Network("network", {
      network: section(settings, "network"),
      region,
      namePrefix,
      provider: aws,
      protect: settings.protect,
    });
    // The CI runners inside the VPC: deploys, previews and drift checks run there (a private API).
    const runners = new Runners("runners", {
      runners: section(settings, "runners"),
      namePrefix,
      region,
      vpcId: network.vpc.id,
      privateSubnetIds: network.privateSubnetIds,
      provider: aws,
      protect: settings.protect,
    });
    return { network, runners };
  };
  if (bootstrap) {
    foundation();
    return { connection: null, cluster: null, monitoring: null };
  }
  // And of the Cloudflare account: the zone, its plan, and no entry point the program would collide with.
  const cloudflare = cloudflareProvider();
  const zoneId = await edgePreflight(settings, cloudflare);
  // cert-manager's DNS-01 token, where it is set: the challenge zone and nothing that serves visitors.
  const dnsToken = settings.secrets.cloudflareDnsToken;
  if (dnsToken) await checkDnsToken(settings, await plainValue(dnsToken));
  const random = randomProvider();
  const { network, runners } = foundation();
  const cluster = new Cluster("cluster", {
    cluster: section(settings, "cluster"),
    region,
    name: namePrefix,
    privateSubnets: network.layout.map(({ zone }, i) => ({ zone, subnetId: network.privateSubnetIds[i] })),
    autoscalingRoleArn: account.autoscalingRoleArn,
    apiClientSecurityGroupIds: [runners.securityGroupId],
    tags: defaultTags(settings),
    provider: aws,
    protect: settings.protect,
  });
  const data = new Data("data", {
    database: section(settings, "database"),
    cache: section(settings, "cache"),
    storage: section(settings, "storage"),
    namePrefix,
    region,
    webOrigin: `https://${settings.dns.appHost}`,
    vpcId: network.vpc.id,
    databaseSubnetIds: network.databaseSubnetIds,
    clientSecurityGroupId: cluster.clusterSecurityGroupId,
    cacheVersionAhead: account.cacheVersionAhead,
    provider: aws,
    randomProvider: random,
    protect: settings.protect,
  });
  // Cloudflare in front, the NGINX ingress open to Cloudflare's ranges only behind it; the hosts'
  // certificates come first (DNS-01 answered in the ACME challenge zone), then the zone's strict
  // TLS and the records that send visitors.
  const hostnames = { app: settings.dns.appHost, api: settings.dns.apiHost };
  // Authenticated Origin Pulls with a certificate of our own, on the zone this stack owns.
  const originPull = settings.dns.cloudflare?.ownsZone
    ? new OriginPullCertificates("origin-pull", {
        namePrefix,
        zone: settings.dns.zone,
        provider: tlsProvider(),
      })
    : undefined;
  const acme = new AcmeDelegation("acme-delegation", { dns: settings.dns, zoneId, provider: cloudflare });
  const namespace = appNamespace(cluster.k8sProvider);
  const ingress = new Ingress("ingress", {
    ingress: section(settings, "ingress"),
    edge: settings.edge,
    dnsZone: settings.dns.zone,
    certificates: { hosts: hostnames, namespace: namespace.metadata.name, dependsOn: [acme] },
    trustedSourceRanges: cloudflareIpv4Ranges(cloudflare),
    dnsApiToken: settings.secrets.cloudflareDnsToken,
    originPullCa: originPull?.caCertPem,
    loadBalancerTags: defaultTags(settings),
    k8sProvider: cluster.k8sProvider,
  });
  new Edge("edge", {
    edge: settings.edge,
    dns: settings.dns,
    zoneId,
    originHostname: ingress.loadBalancerHostname,
    originCertificates: ingress.certificates,
    originPull: originPull && { certificates: originPull, originTrusts: [ingress.controller] },
    provider: cloudflare,
  });
  new Workloads("workloads", {
    apps: settings.apps,
    // pgaudit's set-up with the backups' psql (the database's major), as the database's owner.
    databaseAudit: settings.backups.images && {
      image: settings.backups.images.postgres,
      owner: DATABASE_USER,
    },
    edge: settings.edge,
    hosts: hostnames,
    namespace: namespace.metadata.name,
    data: data.connection,
    clusterName: cluster.eks.name,
    databaseCidrs: network.layout.map((zone) => zone.database),
    vpcCidr: section(settings, "network").cidr,
    awsProvider: aws,
    k8sProvider: cluster.k8sProvider,
    randomProvider: random,
    smtp: settings.smtp && { ...settings.smtp, password: settings.secrets.smtpPassword },
    registry: settings.registry && { ...settings.registry, token: settings.secrets.registryToken },
    ingressDependsOn: [ingress],
  });
  const backups = new Backups("backups", {
    backups: settings.backups,
    namePrefix,
    region,
    clusterName: cluster.eks.name,
    namespace: namespace.metadata.name,
    database: {
      host: data.connection.databaseReadHost,
      name: DATABASE_NAME,
      user: DATABASE_USER,
      password: data.connection.databasePassword,
      ca: data.connection.databaseCa,
    },
    scratchStorageClass: cluster.scratchStorageClass,
    provider: aws,
    k8sProvider: cluster.k8sProvider,
    protect: settings.protect,
  });
  const monitoring = new Monitoring(
    "monitoring",
    {
      monitoring: settings.monitoring,
      environment: settings.environment,
      namePrefix,
      database: section(settings, "database"),
      cache: section(settings, "cache"),
      alertReceiverSecret: settings.secrets.alertReceiverSecret,
      alertHeartbeatUrl: settings.secrets.alertHeartbeatUrl,
      prometheusVolumes: account.prometheusVolumes,
      awsProvider: aws,
      k8sProvider: cluster.k8sProvider,
      randomProvider: random,
      protect: settings.protect,
    },
    // The gp3 StorageClass of Prometheus' and Alertmanager's volumes is the cluster's.
    { dependsOn: [cluster] },
  );
  // Who did what in the account: CloudTrail with the reads and writes of patients' files, locked,
  // and its CIS alarms, unless an AWS Organizations trail already records this account.
  const audit = section(settings, "audit");
  if (audit.trail === "create") {
    new AuditTrail("audit", {
      audit,
      namePrefix,
      region,
      dataBuckets: [data.connection.uploadsBucket, backups.bucket.bucket],
      alarmTopicArn: monitoring.alarmTopic.arn,
      provider: aws,
      protect: settings.protect,
    });
  }
  // And what looks like an intrusion: GuardDuty's findings to the on-call topic.
  new ThreatDetection("threat-detection", {
    namePrefix,
    existingDetectorId: account.guardDutyDetectorId,
    alarmTopicArn: monitoring.alarmTopic.arn,
    provider: aws,
    protect: settings.protect,
  });
  // And the logs that leave the nodes: the apps' and the ingress controller's access log in CloudWatch.
  new ContainerLogs(
    "container-logs",
    {
      logs: audit.containerLogs,
      namePrefix,
      region,
      clusterName: cluster.eks.name,
      awsProvider: aws,
      k8sProvider: cluster.k8sProvider,
      protect: settings.protect,
    },
    // Its DaemonSet needs the cluster's nodes; its Pod Identity association, the agent add-on.
    { dependsOn: [cluster] },
  );
  const { databaseUrl, databaseReadUrl, redisUrl, uploadsBucket } = data.connection;
  return {
    connection: { databaseUrl, databaseReadUrl, redisUrl, s3Bucket: uploadsBucket, s3Region: region },
    cluster: {
      name: cluster.eks.name,
      endpoint: cluster.eks.endpoint,
      kubeconfig: cluster.kubeconfig,
      oidcIssuer: cluster.oidcIssuer,
      securityGroupId: cluster.clusterSecurityGroupId,
      vpcId: network.vpc.id,
    },
    monitoring: {
      grafanaAdminPassword: monitoring.grafanaAdminPassword,
      alarmTopicArn: monitoring.alarmTopic.arn,
    },
  };
}

export = async (): Promise<StackOutputs> => {
  const settings = loadSettings();
  const composed = settings.isLocal ? dev(settings) : await cloud(settings);
  return {
    environment: settings.environment,
    hosts: { app: settings.dns.appHost, api: settings.dns.apiHost },
    connection: composed.connection,
    cluster: composed.cluster,
    monitoring: composed.monitoring,
  };
};

// HealthFlow's whole stack. Reads the stack's settings once (bad config stops here, before any
// resource exists) and composes the components; see README.md for the picture.
import * as pulumi from "@pulumi/pulumi";
import { Backups } from "./components/backups";
import { Cluster } from "./components/cluster";
import { Data } from "./components/data";
import { DATABASE_NAME, DATABASE_USER } from "./components/data/connection";
import { Edge } from "./components/edge";
import { AcmeDelegation } from "./components/edge/acme";
import { cloudflareIpv4Ranges, cloudflareProvider } from "./components/edge/provider";
import { cloudflareZoneId } from "./components/edge/zone";
import { Ingress } from "./components/ingress";
import { LocalStack } from "./components/local";
import { Monitoring } from "./components/monitoring";
import { Network } from "./components/network";
import { awsProvider, defaultTags, localProviders, randomProvider } from "./components/providers";
import { Workloads } from "./components/workloads";
import { appNamespace } from "./components/workloads/namespace";
import { loadSettings, section } from "./settings";

const settings = loadSettings();
const namePrefix = `healthflow-${settings.stack}`;

/** dev: the guide's docker-compose on the local Docker engine. */
function dev() {
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

/** staging and production: AWS sa-east-1 (and, as they land, Cloudflare and the workloads). */
function cloud() {
  const aws = awsProvider(settings);
  const random = randomProvider();
  const region = section(settings, "aws").region;
  const network = new Network("network", {
    network: section(settings, "network"),
    region,
    namePrefix,
    provider: aws,
    protect: settings.protect,
  });
  const cluster = new Cluster("cluster", {
    cluster: section(settings, "cluster"),
    region,
    name: namePrefix,
    privateSubnetIds: network.privateSubnetIds,
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
    provider: aws,
    randomProvider: random,
    protect: settings.protect,
  });
  // Cloudflare in front, the NGINX ingress open to Cloudflare's ranges only behind it; the hosts'
  // certificates come first (DNS-01 answered in the ACME challenge zone), then the zone's strict
  // TLS and the records that send visitors.
  const cloudflare = cloudflareProvider();
  const zoneId = cloudflareZoneId({
    zone: settings.dns.zone,
    plan: settings.edge.cloudflarePlan,
    provider: cloudflare,
  });
  const hostnames = { app: settings.dns.appHost, api: settings.dns.apiHost };
  const acme = new AcmeDelegation("acme-delegation", { dns: settings.dns, zoneId, provider: cloudflare });
  const namespace = appNamespace(cluster.k8sProvider);
  const ingress = new Ingress("ingress", {
    ingress: section(settings, "ingress"),
    edge: settings.edge,
    dnsZone: settings.dns.zone,
    certificates: { hosts: hostnames, namespace: namespace.metadata.name, dependsOn: [acme] },
    trustedSourceRanges: cloudflareIpv4Ranges(cloudflare),
    dnsApiToken: settings.secrets.cloudflareDnsToken,
    loadBalancerTags: defaultTags(settings),
    k8sProvider: cluster.k8sProvider,
  });
  new Edge("edge", {
    edge: settings.edge,
    dns: settings.dns,
    zoneId,
    originHostname: ingress.loadBalancerHostname,
    originCertificates: ingress.certificates,
    provider: cloudflare,
  });
  new Workloads("workloads", {
    apps: settings.apps,
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
    ingressDependsOn: [ingress],
  });
  new Backups("backups", {
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
    },
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
      alertWebhookUrl: settings.secrets.alertWebhookUrl,
      awsProvider: aws,
      k8sProvider: cluster.k8sProvider,
      randomProvider: random,
      protect: settings.protect,
    },
    // The gp3 StorageClass of Prometheus' and Alertmanager's volumes is the cluster's.
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

const composed = settings.isLocal ? dev() : cloud();

/** Which kind of stack this is: dev, staging or production. */
export const environment = settings.environment;
/** The public hostnames of the web app and the API. */
export const hosts = { app: settings.dns.appHost, api: settings.dns.apiHost };
/** What an app needs to connect (DATABASE_URL, REDIS_URL, storage); URLs with credentials are secrets. */
export const connection: pulumi.Input<object> | null = composed.connection;
/** The EKS cluster (staging/production): name, endpoint, kubeconfig (secret), OIDC issuer, VPC. */
export const cluster: pulumi.Input<object> | null = composed.cluster;
/** Monitoring (staging/production): Grafana's admin password (secret), the CloudWatch alarms' SNS topic. */
export const monitoring: pulumi.Input<object> | null = composed.monitoring;

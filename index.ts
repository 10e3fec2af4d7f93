// HealthFlow's whole stack. Reads the stack's settings once (bad config stops here, before any
// resource exists) and composes the components; see README.md for the picture.
import * as pulumi from "@pulumi/pulumi";
import { Cluster } from "./components/cluster";
import { LocalStack } from "./components/local";
import { Network } from "./components/network";
import { awsProvider, localProviders } from "./components/providers";
import { loadSettings, section } from "./settings";

const settings = loadSettings();
const namePrefix = `healthflow-${settings.stack}`;

/** dev: the guide's docker-compose on the local Docker engine. */
function dev() {
  const providers = localProviders();
  const local = new LocalStack("local", {
    local: section(settings, "local"),
    apps: settings.apps,
    dockerProvider: providers.docker,
    randomProvider: providers.random,
  });
  return { connection: local.connection, cluster: null };
}

/** staging and production: AWS sa-east-1 (and, as they land, Cloudflare and the workloads). */
function cloud() {
  const aws = awsProvider(settings);
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
  return {
    connection: null,
    cluster: {
      name: cluster.eks.name,
      endpoint: cluster.eks.endpoint,
      kubeconfig: cluster.kubeconfig,
      oidcIssuer: cluster.oidcIssuer,
      securityGroupId: cluster.clusterSecurityGroupId,
      vpcId: network.vpc.id,
    },
  };
}

const composed = settings.isLocal ? dev() : cloud();

/** Which kind of stack this is: dev, staging or production. */
export const environment = settings.environment;
/** The public hostnames of the web app and the API. */
export const hosts = { app: settings.dns.appHost, api: settings.dns.apiHost };
/** What an app needs to connect; URLs with credentials are secrets. Staging/production: with the data layer. */
export const connection: pulumi.Input<object> | null = composed.connection;
/** The EKS cluster (staging/production): name, endpoint, kubeconfig (secret), OIDC issuer, VPC. */
export const cluster: pulumi.Input<object> | null = composed.cluster;

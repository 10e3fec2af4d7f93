// HealthFlow's whole stack. Reads the stack's settings once (bad config stops here, before any
// resource exists) and composes the components; see README.md for the picture.
import * as pulumi from "@pulumi/pulumi";
import { LocalStack } from "./components/local";
import { awsProvider, localProviders } from "./components/providers";
import { loadSettings, section } from "./settings";

const settings = loadSettings();

function dev() {
  const providers = localProviders();
  const local = new LocalStack("local", {
    local: section(settings, "local"),
    apps: settings.apps,
    dockerProvider: providers.docker,
    randomProvider: providers.random,
  });
  return { connection: local.connection };
}

function cloud() {
  awsProvider(settings);
  // The network, cluster, data, edge, workloads, backups and monitoring components join here.
  return { connection: null };
}

const composed = settings.isLocal ? dev() : cloud();

/** Which kind of stack this is: dev, staging or production. */
export const environment = settings.environment;
/** The public hostnames of the web app and the API. */
export const hosts = { app: settings.dns.appHost, api: settings.dns.apiHost };
/** What an app needs to connect; URLs with credentials are secrets. */
export const connection: pulumi.Input<object> | null = composed.connection;

import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { section, type Settings } from "../../settings";

// Explicit providers: no resource of this program relies on an ambient default provider, so a
// stray `AWS_REGION` or kube context on a laptop can never redirect a change.

/** Tags every AWS resource carries (the provider's default tags). */
export function defaultTags(settings: Pick<Settings, "environment" | "stack">): Record<string, string> {
  return {
    project: "healthflow",
    environment: settings.environment,
    stack: settings.stack,
    "managed-by": "pulumi",
    // LGPD art. 5 II: health data is "dado pessoal sensível".
    "data-classification": "sensitive-health",
  };
}

/** The AWS provider of a staging/production stack: the region from settings, credentials from the environment. */
export function awsProvider(settings: Settings): aws.Provider {
  return new aws.Provider("aws", {
    region: section(settings, "aws").region as aws.Region,
    defaultTags: { tags: defaultTags(settings) },
  });
}

/** Generates credentials (passwords, tokens) held as Pulumi secrets. */
export function randomProvider(): random.Provider {
  return new random.Provider("random", {});
}

/** The TLS provider: keys and certificates generated in the stack's state (no credential). */
export function tlsProvider(): tls.Provider {
  return new tls.Provider("tls", {});
}

/** The providers of the dev stack: the local Docker engine (DOCKER_HOST) and random. */
export function localProviders(): { docker: docker.Provider; random: random.Provider } {
  return { docker: new docker.Provider("docker", {}), random: randomProvider() };
}

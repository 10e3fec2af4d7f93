import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { CLUSTER_ISSUER, TLS_SECRETS } from "../names";

// The certificates of the stack's hosts as cert-manager Certificates that Pulumi owns, rather than
// ones cert-manager's ingress-shim derives from an Ingress annotation: Pulumi can then await them.
// With `pulumi.com/waitFor: condition=Ready` the Kubernetes provider (>= 4.18) holds the create or
// update until cert-manager reports the certificate issued (pulumi/pulumi-kubernetes#3134; the
// annotation is honoured for any kind, provider/pkg/metadata/overrides.go ReadyCondition), so what
// depends on a Certificate (the zone's Full (strict) mode, the proxied records) waits for a real
// certificate, and a deploy whose DNS-01 fails stops with an error instead of succeeding into 526s.

/** How long one certificate may take before `pulumi up` fails: DNS-01 through Let's Encrypt takes a few minutes. */
export const CERTIFICATE_TIMEOUT_SECONDS = 900;

/** The Certificate for one host: its Secret is the one the host's Ingress serves. */
export function certificateObject(args: {
  host: string;
  secretName: string;
  namespace: pulumi.Input<string>;
}) {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: {
      // The name ingress-shim would give it, so a Certificate it made earlier is recognisably this one.
      name: args.secretName,
      namespace: args.namespace,
      annotations: {
        "pulumi.com/waitFor": "condition=Ready",
        "pulumi.com/timeoutSeconds": String(CERTIFICATE_TIMEOUT_SECONDS),
      },
    },
    spec: {
      secretName: args.secretName,
      dnsNames: [args.host],
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: CLUSTER_ISSUER },
    },
  };
}

/** A Certificate per host, in the app namespace, awaited until issued. */
export function hostCertificates(args: {
  hosts: { app: string; api: string };
  /** The app namespace (its Namespace resource's name, so the Certificates wait for it). */
  namespace: pulumi.Input<string>;
  provider: k8s.Provider;
  parent: pulumi.Resource;
  /** The ClusterIssuers, and the `_acme-challenge` delegation records the DNS-01 solver follows. */
  dependsOn: pulumi.Resource[];
}): k8s.apiextensions.CustomResource[] {
  return (Object.keys(TLS_SECRETS) as (keyof typeof TLS_SECRETS)[]).map((role) => {
    const object = certificateObject({
      host: args.hosts[role],
      secretName: TLS_SECRETS[role],
      namespace: args.namespace,
    });
    return new k8s.apiextensions.CustomResource(object.metadata.name, object, {
      parent: args.parent,
      provider: args.provider,
      dependsOn: args.dependsOn,
    });
  });
}

import { DNS01_TOKEN_SCOPE } from "../../settings/catalog/cloudflareTokens";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { CERT_MANAGER_NAMESPACE, INGRESS_NAMESPACE } from "../names";
import { podSecurityNamespace } from "../workloads/namespace";
import { controllerConfigEntries } from "./config";
import { certManagerApiReady } from "./certManagerReady";
import { hostCertificates } from "./certificates";
import { clusterIssuers, DNS_TOKEN_SECRET } from "./issuers";
import {
  CERT_MANAGER_CHART,
  certManagerValues,
  CONTROLLER_RELEASE,
  CONTROLLER_SERVICE,
  controllerValues,
  NGINX_INGRESS_CHART,
} from "./values";
import { missingSecretSetting, secretData } from "../secrets";

/** What the ingress of a staging/production stack needs. */
export interface IngressArgs {
  /** `healthflow:ingress`: chart versions, controller replicas and resources, the ACME contact. Required. */
  ingress: NonNullable<Settings["ingress"]>;
  /** `healthflow:edge`: body size and the rest of the controller's global config. Required. */
  edge: Settings["edge"];
  /** The zone of the certificates' names (`healthflow:dns.zone`): the ClusterIssuers' solver selector. Required. */
  dnsZone: string;
  /**
   * The certificates of the stack's hosts (cert-manager Certificates awaited until issued), their
   * namespace (the app namespace, whose Ingresses serve them), and what must exist before DNS-01
   * can succeed: the `_acme-challenge` delegation records (components/edge/acme.ts). Required.
   */
  certificates: {
    hosts: { app: string; api: string };
    namespace: pulumi.Input<string>;
    dependsOn: pulumi.Resource[];
  };
  /**
   * The only sources the load balancer accepts, and the only proxies trusted to name the client
   * (CF-Connecting-IP): Cloudflare's IPv4 ranges. Required, non-empty.
   */
  trustedSourceRanges: pulumi.Input<string[]>;
  /**
   * The origin-pull CA (PEM): the controller then asks every client for a certificate it signed
   * (Authenticated Origin Pulls, components/edge/originPull.ts). Default: none.
   */
  originPullCa?: pulumi.Input<string>;
  /**
   * Cloudflare token for DNS-01 (`healthflow:cloudflareDnsToken`, a secret): Zone › Zone › Read and Zone › DNS › Edit on
   * the ACME challenge zone only. Unset: a preview warns (the settings refuse an update without it,
   * as no certificate could be issued). Default unset.
   */
  dnsApiToken?: pulumi.Output<string>;
  /** Tags for the load balancer (the stack's AWS default tags). Default none. */
  loadBalancerTags?: Record<string, string>;
  /** The cluster's Kubernetes provider. Required. */
  k8sProvider: k8s.Provider;
}

/**
 * The F5 NGINX Ingress Controller (chart `nginx-ingress`) behind an AWS NLB open to Cloudflare
 * only, and cert-manager with Let's Encrypt ClusterIssuers solving DNS-01 through Cloudflare, and
 * the certificates of the stack's hosts.
 */
/** The ConfigMap of the origin-pull CA, in the controller's namespace. */
const ORIGIN_PULL_CA_CONFIGMAP = "origin-pull-ca";

export class Ingress extends pulumi.ComponentResource {
  readonly controller: k8s.helm.v4.Chart;
  readonly certManager: k8s.helm.v4.Chart;
  /** The hosts' Certificates; each completes once cert-manager has issued it. */
  readonly certificates: k8s.apiextensions.CustomResource[];
  /** The NLB's DNS name, once the controller's Service has one (unknown in a first preview). */
  readonly loadBalancerHostname: pulumi.Output<string>;

  constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:ingress:Ingress", name, {}, opts);
    const dnsApiToken = args.dnsApiToken ?? this.missingToken();
    const child = { parent: this, provider: args.k8sProvider };

    const controllerNamespace = podSecurityNamespace(INGRESS_NAMESPACE, "restricted", child);
    const certManagerNamespace = podSecurityNamespace(CERT_MANAGER_NAMESPACE, "restricted", child);

    // The origin-pull CA the controller verifies the zone's client certificate against (a public
    // certificate: a ConfigMap). The controller starts with it, so it trusts the CA before the zone
    // presents a certificate (components/edge/originPull.ts). nginx reads the file when it loads its
    // configuration: after a CA rotation the controller's pods restart (docs/edge.md).
    const originPullCa = args.originPullCa
      ? new k8s.core.v1.ConfigMap(
          ORIGIN_PULL_CA_CONFIGMAP,
          {
            metadata: { name: ORIGIN_PULL_CA_CONFIGMAP, namespace: controllerNamespace.metadata.name },
            data: { "ca.crt": args.originPullCa },
          },
          child,
        )
      : undefined;
    const ranges = pulumi.output(args.trustedSourceRanges);
    this.controller = new k8s.helm.v4.Chart(
      "nginx-ingress",
      {
        chart: NGINX_INGRESS_CHART,
        version: args.ingress.controller.chartVersion,
        name: CONTROLLER_RELEASE,
        namespace: controllerNamespace.metadata.name,
        // enableCustomResources is off: the VirtualServer/Policy CRDs would serve nothing.
        skipCrds: true,
        values: ranges.apply((sourceRanges) =>
          controllerValues({
            controller: args.ingress.controller,
            configEntries: controllerConfigEntries(args.edge, sourceRanges, originPullCa !== undefined),
            sourceRanges,
            loadBalancerTags: args.loadBalancerTags ?? {},
            originPullCaConfigMap: originPullCa ? ORIGIN_PULL_CA_CONFIGMAP : undefined,
          }),
        ),
      },
      { ...child, dependsOn: originPullCa ? [originPullCa] : [] },
    );

    this.certManager = new k8s.helm.v4.Chart(
      "cert-manager",
      {
        chart: CERT_MANAGER_CHART.chart,
        version: args.ingress.certManager.chartVersion,
        repositoryOpts: { repo: CERT_MANAGER_CHART.repo },
        name: "cert-manager",
        namespace: certManagerNamespace.metadata.name,
        values: certManagerValues(args.ingress.certManager),
      },
      child,
    );

    // The issuers need cert-manager's CRDs and a webhook that answers, and their Secret.
    const apiReady = certManagerApiReady({
      namespace: certManagerNamespace.metadata.name,
      version: args.ingress.certManager.chartVersion,
      provider: args.k8sProvider,
      parent: this,
      dependsOn: [this.certManager],
    });
    const dnsToken = new k8s.core.v1.Secret(
      "cloudflare-dns-api-token",
      {
        metadata: { name: DNS_TOKEN_SECRET.name, namespace: certManagerNamespace.metadata.name },
        type: "Opaque",
        data: secretData({ [DNS_TOKEN_SECRET.key]: dnsApiToken }),
      },
      { ...child, dependsOn: [this.certManager] },
    );
    const issuers = new k8s.yaml.v2.ConfigGroup(
      "cluster-issuers",
      { objs: clusterIssuers({ acmeEmail: args.ingress.acmeEmail, dnsZone: args.dnsZone }) },
      { ...child, dependsOn: [this.certManager, apiReady, dnsToken] },
    );
    this.certificates = hostCertificates({
      hosts: args.certificates.hosts,
      namespace: args.certificates.namespace,
      provider: args.k8sProvider,
      parent: this,
      dependsOn: [issuers, ...args.certificates.dependsOn],
    });

    // The Service the chart created, read back for its NLB hostname. Its id waits for the chart,
    // so a first preview (chart not yet installed) leaves it unknown instead of failing the read.
    const service = k8s.core.v1.Service.get(
      "nginx-ingress-controller",
      this.controller.resources.apply(() => `${INGRESS_NAMESPACE}/${CONTROLLER_SERVICE}`),
      { ...child, dependsOn: [this.controller] },
    );
    this.loadBalancerHostname = service.status.apply((status) => {
      const hostname = status?.loadBalancer?.ingress?.[0]?.hostname;
      if (!hostname && !pulumi.runtime.isDryRun())
        throw new Error(`Service ${INGRESS_NAMESPACE}/${CONTROLLER_SERVICE} has no load balancer hostname`);
      return hostname ?? "";
    });

    this.registerOutputs({
      controllerNamespace: controllerNamespace.metadata.name,
      certManagerNamespace: certManagerNamespace.metadata.name,
      loadBalancerHostname: this.loadBalancerHostname,
      certificates: this.certificates.map((c) => c.metadata.name),
    });
  }

  /** Without the DNS-01 token a preview says so and carries on (settings refuse an update without it). */
  private missingToken(): pulumi.Output<string> {
    return missingSecretSetting(
      "healthflow:cloudflareDnsToken is not set, so cert-manager cannot prove the domain to Let's Encrypt: " +
        `pulumi config set --secret healthflow:cloudflareDnsToken <token with ${DNS01_TOKEN_SCOPE}>`,
    );
  }
}

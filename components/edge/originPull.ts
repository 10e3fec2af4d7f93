import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

// Authenticated Origin Pulls with a certificate of our own. The NLB admits Cloudflare's IP ranges,
// which every Cloudflare customer shares, and Cloudflare's shared origin-pull certificate "only
// proves a request came from the Cloudflare network — not from your account specifically"
// (developers.cloudflare.com/ssl/origin-configuration/authenticated-origin-pull): anyone could
// proxy our NLB through a zone of theirs, past our WAF and rate limits. So the zone presents a client
// certificate signed by a CA only this stack holds, and the ingress controller refuses a TLS
// connection without it (components/ingress/config.ts, originPullSnippets).

/** The CA the origin trusts: ten years (rotating it is the documented procedure in docs/edge.md). */
export const CA_VALIDITY_HOURS = 10 * 365 * 24;
/** The zone's client certificate: two years, replaced 60 days before it ends by any `pulumi up`. */
export const CLIENT_VALIDITY_HOURS = 2 * 365 * 24;
export const CLIENT_EARLY_RENEWAL_HOURS = 60 * 24;

/**
 * The origin-pull CA and the zone's client certificate, generated and held in the stack's state as
 * secrets (@pulumi/tls: the private keys are secret outputs). RSA 2048, what Cloudflare's zone-level
 * certificate upload takes.
 */
export class OriginPullCertificates extends pulumi.ComponentResource {
  /** The CA certificate (PEM) the ingress controller verifies the zone's certificate against. */
  readonly caCertPem: pulumi.Output<string>;
  /** The client certificate (PEM) and its key (PEM, a secret) the zone presents. */
  readonly clientCertPem: pulumi.Output<string>;
  readonly clientKeyPem: pulumi.Output<string>;

  constructor(
    name: string,
    args: { namePrefix: string; zone: string; provider: tls.Provider },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("healthflow:edge:OriginPullCertificates", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const caKey = new tls.PrivateKey("origin-pull-ca-key", { algorithm: "RSA", rsaBits: 2048 }, child);
    const ca = new tls.SelfSignedCert(
      "origin-pull-ca",
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: `${args.namePrefix} origin pull CA`, organization: "HealthFlow" },
        validityPeriodHours: CA_VALIDITY_HOURS,
        allowedUses: ["cert_signing", "crl_signing"],
      },
      child,
    );
    const clientKey = new tls.PrivateKey(
      "origin-pull-client-key",
      { algorithm: "RSA", rsaBits: 2048 },
      child,
    );
    const request = new tls.CertRequest(
      "origin-pull-client",
      { privateKeyPem: clientKey.privateKeyPem, subject: { commonName: `${args.zone} origin pull` } },
      child,
    );
    const client = new tls.LocallySignedCert(
      "origin-pull-client",
      {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: CLIENT_VALIDITY_HOURS,
        earlyRenewalHours: CLIENT_EARLY_RENEWAL_HOURS,
        allowedUses: ["client_auth", "digital_signature", "key_encipherment"],
      },
      child,
    );
    this.caCertPem = ca.certPem;
    this.clientCertPem = client.certPem;
    this.clientKeyPem = pulumi.secret(clientKey.privateKeyPem);
    this.registerOutputs({ caCertPem: this.caCertPem });
  }
}

/**
 * The zone presents our client certificate to the origin: uploaded for zone-level Authenticated
 * Origin Pulls, then turned on. Only once the origin trusts our CA (`originTrusts`): the zone must
 * never present a certificate the origin would refuse, and the origin requires it from its first
 * deploy, before any record sends visitors (docs/edge.md, "First deployment").
 */
export function zoneOriginPulls(args: {
  zoneId: pulumi.Input<string>;
  certificates: OriginPullCertificates;
  originTrusts: pulumi.Input<pulumi.Resource>[];
  provider: cloudflare.Provider;
  parent: pulumi.Resource;
}): cloudflare.AuthenticatedOriginPullsSettings {
  const child = { parent: args.parent, provider: args.provider };
  const upload = new cloudflare.AuthenticatedOriginPullsCertificate(
    "origin-pull-certificate",
    {
      zoneId: args.zoneId,
      certificate: args.certificates.clientCertPem,
      privateKey: args.certificates.clientKeyPem,
    },
    { ...child, dependsOn: args.originTrusts },
  );
  return new cloudflare.AuthenticatedOriginPullsSettings(
    "origin-pulls",
    { zoneId: args.zoneId, enabled: true },
    { ...child, dependsOn: [upload] },
  );
}

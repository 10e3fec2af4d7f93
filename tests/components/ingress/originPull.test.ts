import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import {
  CA_VALIDITY_HOURS,
  CLIENT_EARLY_RENEWAL_HOURS,
  CLIENT_VALIDITY_HOURS,
} from "../../../components/edge/originPull";
import { controllerConfigEntries } from "../../../components/ingress/config";
import { ORIGIN_PULL_CA_PATH } from "../../../components/ingress/values";
import { find, isSecret, type ProgramRun } from "../../harness";
import { knownRun, plannedRun } from "../../harness/plans";
import {
  freePort,
  selfSignedCertificate,
  startNginx,
  tempPaths,
  type RunningNginx,
} from "../nginx/realNginx";
import { readStackConfig } from "../../../tools/engine/stackConfig";

// Authenticated Origin Pulls with a certificate of our own: Cloudflare's shared origin-pull
// certificate "only proves a request came from the Cloudflare network — not from your account
// specifically" (developers.cloudflare.com/ssl/origin-configuration/authenticated-origin-pull), so
// the zone presents a client certificate our own CA signed, and the controller refuses TLS without it.

const edge = JSON.parse(readStackConfig("production").config["healthflow:edge"] ?? "null") ?? {
  maxBodySizeMb: 50,
};

describe.each(["staging", "production"])("origin pulls of %s", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const one = (type: string, name: string) => find(run.resources, type, name);

  test("the order that never locks Cloudflare out: origin trusts the CA, then the zone presents, then visitors come", () => {
    const chart = one("kubernetes:helm.sh/v4:Chart", "nginx-ingress");
    const caMap = one("kubernetes:core/v1:ConfigMap", "origin-pull-ca");
    const upload = one(
      "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate",
      "origin-pull-certificate",
    );
    const settings = one(
      "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings",
      "origin-pulls",
    );
    // The controller starts with the CA (and requires a client certificate from its first deploy).
    expect(chart.dependencies).toContain(caMap.urn);
    expect(caMap.propertyDependencies.data).toEqual([
      one("tls:index/selfSignedCert:SelfSignedCert", "origin-pull-ca").urn,
    ]);
    // The zone uploads and turns on its certificate only once the origin trusts the CA.
    expect(upload.dependencies).toContain(chart.urn);
    expect(settings.dependencies).toContain(upload.urn);
    expect(settings.inputs).toMatchObject({ enabled: true });
    // Visitors are sent (the proxied records) only once the zone presents it.
    for (const role of ["app", "api"])
      expect(one("cloudflare:index/dnsRecord:DnsRecord", `${role}-record`).dependencies).toContain(
        settings.urn,
      );
  });

  test("the controller asks every client for a certificate our CA signed, read from the mounted CA", () => {
    const values = (one("kubernetes:helm.sh/v4:Chart", "nginx-ingress").inputs as any).values.controller;
    expect(values.config.entries["server-snippets"].split("\n")).toEqual([
      `ssl_client_certificate ${ORIGIN_PULL_CA_PATH};`,
      "ssl_verify_client on;",
    ]);
    expect(values.volumeMounts).toEqual([
      { name: "origin-pull-ca", mountPath: path.posix.dirname(ORIGIN_PULL_CA_PATH), readOnly: true },
    ]);
    expect(values.volumes).toEqual([{ name: "origin-pull-ca", configMap: { name: "origin-pull-ca" } }]);
    expect(Object.keys(one("kubernetes:core/v1:ConfigMap", "origin-pull-ca").inputs.data as object)).toEqual([
      path.posix.basename(ORIGIN_PULL_CA_PATH),
    ]);
    // Snippets stay off for the Ingresses: only the ConfigMap key carries directives.
    expect(values.enableSnippets).toBe(false);
  });

  test("a CA for years, the zone's certificate for two, renewed by any up 60 days before it ends; keys secret", () => {
    const ca = one("tls:index/selfSignedCert:SelfSignedCert", "origin-pull-ca").inputs as any;
    expect(ca).toMatchObject({ isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing"] });
    expect(CA_VALIDITY_HOURS).toBe(87600);
    const client = one("tls:index/locallySignedCert:LocallySignedCert", "origin-pull-client").inputs as any;
    expect(client.allowedUses).toContain("client_auth");
    expect([CLIENT_VALIDITY_HOURS, CLIENT_EARLY_RENEWAL_HOURS]).toEqual([17520, 1440]);
    expect(client).toMatchObject({ validityPeriodHours: 17520, earlyRenewalHours: 1440 });
    const known = knownRun(stack);
    const upload = find(
      known.resources,
      "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate",
      "origin-pull-certificate",
    );
    expect(isSecret(upload.inputs.privateKey)).toBe(true);
  });
});

describe.each(["on", "optional"] as const)(
  "a real nginx with the controller's origin-pull directives (%s)",
  (validation) => {
    let dir: string;
    let port: number;
    let nginx: RunningNginx;
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    /** A CA, and a client certificate it signs for TLS client authentication. */
    const authority = (name: string) => {
      openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        `/CN=${name} CA`,
        "-keyout",
        `${name}-ca.key`,
        "-out",
        `${name}-ca.crt`,
      );
      openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        `/CN=${name} client`,
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
      );
      fs.writeFileSync(path.join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
      openssl(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        `${name}-ca.crt`,
        "-CAkey",
        `${name}-ca.key`,
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "client.ext",
        "-out",
        `${name}.crt`,
      );
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "origin-pull-"));
      authority("ours");
      authority("theirs");
      const server = selfSignedCertificate(dir, ["api.healtflow.com.br"]);
      port = await freePort();
      // The controller's server-snippets, with the CA where this nginx finds it.
      const snippets = controllerConfigEntries(
        { ...edge, originPullValidation: validation },
        ["173.245.48.0/20"],
        true,
      )["server-snippets"].replace(ORIGIN_PULL_CA_PATH, path.join(dir, "ours-ca.crt"));
      const conf = `pid ${dir}/nginx.pid;
events {}
http {
  access_log ${dir}/access.log;
  ${tempPaths(dir)}
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${server.certificate};
    ssl_certificate_key ${server.certificateKey};
    ${snippets}
    location / { return 200 "served"; }
  }
}
`;
      nginx = await startNginx(dir, conf, port);
    });
    afterAll(async () => {
      await nginx?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const get = (client?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = https.request(
          {
            host: "127.0.0.1",
            port,
            path: "/",
            servername: "api.healtflow.com.br",
            rejectUnauthorized: false,
            ...(client
              ? {
                  cert: fs.readFileSync(path.join(dir, `${client}.crt`)),
                  key: fs.readFileSync(path.join(dir, `${client}.key`)),
                }
              : {}),
          },
          (response) => {
            let body = "";
            response.on("data", (chunk) => (body += chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
          },
        );
        request.on("error", reject);
        request.end();
      });

    test("no client certificate: refused (400) when on, as anyone else's zone or a direct request to the NLB would be; let through while optional", async () => {
      const answer = await get();
      if (validation === "optional") expect(answer).toEqual({ status: 200, body: "served" });
      else {
        expect(answer.status).toBe(400);
        expect(answer.body).toContain("No required SSL certificate was sent");
      }
    });

    test("a certificate another CA signed (another Cloudflare account's): refused (400)", async () => {
      const answer = await get("theirs");
      expect(answer.status).toBe(400);
      expect(answer.body).toContain("The SSL certificate error");
    });

    test("the zone's certificate, which our CA signed: served", async () => {
      expect(await get("ours")).toEqual({ status: 200, body: "served" });
    });
  },
);

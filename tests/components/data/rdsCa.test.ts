import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { rdsCa } from "../../../components/data/connection";
import { find, type ProgramRun } from "../../harness";
import { knownRun, plannedRun } from "../../harness/plans";

// AWS's RDS CA bundle for sa-east-1, vendored (components/data/rds-ca/README.md says where from),
// and every pod that connects to PostgreSQL verifying the server against it.

const BUNDLE = path.join(__dirname, "../../../components/data/rds-ca/sa-east-1-bundle.pem");

describe("the vendored bundle", () => {
  test("is byte for byte the file AWS publishes (pinned hash and size)", () => {
    const bytes = fs.readFileSync(BUNDLE);
    expect(bytes.length).toBe(4572);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(
      "c2f9255eadfa939dd6f965ede75d8e0d4168c9cbb7ca1e7baa9bff6d5e2c96e1",
    );
  });

  test("holds sa-east-1's three self-signed RDS roots, valid for decades, per openssl", () => {
    const pem = fs.readFileSync(BUNDLE, "utf8");
    const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
    expect(certs.join("")).toBe(pem); // nothing but certificates
    const described = certs.map((cert) => {
      const text = execFileSync(
        "openssl",
        ["x509", "-noout", "-subject", "-issuer", "-enddate", "-nameopt", "multiline"],
        {
          input: cert,
        },
      ).toString();
      const cn = (label: string) =>
        new RegExp(`${label}=\\s*[\\s\\S]*?commonName\\s*=\\s*(.+)`).exec(text)?.[1].trim();
      const end = new Date(/notAfter=(.+)/.exec(text)![1]);
      return { subject: cn("subject"), issuer: cn("issuer"), end };
    });
    expect(described.map((d) => d.subject)).toEqual([
      "Amazon RDS sa-east-1 Root CA RSA2048 G1",
      "Amazon RDS sa-east-1 Root CA ECC384 G1",
      "Amazon RDS sa-east-1 Root CA RSA4096 G1",
    ]);
    for (const d of described) {
      expect(d.issuer).toBe(d.subject);
      expect(d.end.getUTCFullYear()).toBeGreaterThanOrEqual(2061);
    }
    // Each one verifies against the bundle: a trust anchor, not an intermediate.
    for (const cert of certs) {
      expect(execFileSync("openssl", ["verify", "-CAfile", BUNDLE], { input: cert }).toString()).toMatch(
        /OK/,
      );
    }
  });

  test("includes the root of the CA the databases use (caCertIdentifier)", () => {
    const db = find(plannedRun("production").resources, "aws:rds/instance:Instance", "postgres");
    // rds-ca-rsa2048-g1 -> "Amazon RDS sa-east-1 Root CA RSA2048 G1"
    const [, algorithm, generation] = /^rds-ca-([a-z]+\d+)-(g\d+)$/.exec(String(db.inputs.caCertIdentifier))!;
    const subjects = execFileSync("openssl", ["crl2pkcs7", "-nocrl", "-certfile", BUNDLE]).toString().trim();
    const printed = execFileSync("openssl", ["pkcs7", "-print_certs", "-noout"], {
      input: subjects,
    }).toString();
    expect(printed).toContain(
      `CN = Amazon RDS sa-east-1 Root CA ${algorithm.toUpperCase()} ${generation.toUpperCase()}`,
    );
  });
});

describe.each(["staging", "production"])("%s: the apps verify the database server", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });

  test("the bundle is in the apps' namespace and mounted where their DATABASE_URL looks", () => {
    const ca = rdsCa("sa-east-1");
    const configMap = find(run.resources, "kubernetes:core/v1:ConfigMap", "rds-ca").inputs as any;
    expect(configMap.data).toEqual({ [ca.fileName]: fs.readFileSync(BUNDLE, "utf8") });
    const pods = run.resources
      .filter((r) => r.type === "kubernetes:apps/v1:Deployment" || r.name === "api-migrate")
      .filter((r) => String((r.inputs as any).metadata.name).startsWith("healthflow-"))
      .map((r) => [(r.inputs as any).metadata.name, (r.inputs as any).spec.template.spec]);
    expect(pods.map(([name]) => name)).toEqual(
      expect.arrayContaining(["healthflow-web", "healthflow-api", "healthflow-worker"]),
    );
    for (const [name, pod] of pods) {
      const volume = pod.volumes.find((v: any) => v.configMap?.name === "healthflow-rds-ca");
      const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === volume?.name);
      expect([name, mount?.mountPath, mount?.readOnly]).toEqual([name, ca.mountDir, true]);
    }
    const url = (knownRun(stack).outputs.connection as any).databaseUrl.value;
    expect(new URL(url).searchParams.get("sslrootcert")).toBe(`${ca.mountDir}/${ca.fileName}`);
  });
});

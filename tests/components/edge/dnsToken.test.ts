import * as fs from "fs";
import * as path from "path";
import { dnsTokenProblems } from "../../../components/edge/dnsToken";
import { DNS01_TOKEN_SCOPE } from "../../../settings/catalog/cloudflareTokens";
import { startCloudflareApi } from "../../../tools/engine/cloudflareApi";
import { runProgram } from "../../harness/programs";
import { PROJECT_ROOT } from "../../../tools/engine/stackConfig";

// cert-manager's DNS-01 token against a stand-in of Cloudflare's API on loopback: it must find the
// ACME challenge zone by name (cert-manager's solver looks it up with GET /zones?name= first,
// pkg/issuer/acme/dns/cloudflare/cloudflare.go) and see no zone that serves visitors.

let api: { url: string; close: () => void };
/** token → the zones it can see; an unknown token is refused as Cloudflare refuses one. */
const tokens: Record<string, string[]> = {
  scoped: ["healtflow-acme.com.br"],
  "zone-read-missing": [],
  "too-wide": ["healtflow-acme.com.br", "healtflow.com.br"],
};

beforeAll(async () => {
  api = await startCloudflareApi((token, zone) =>
    token in tokens ? tokens[token].includes(zone) : "invalid",
  );
});
afterAll(() => api.close());

const check = (token: string) =>
  dnsTokenProblems({
    token,
    challengeZone: "healtflow-acme.com.br",
    servedZones: ["healtflow.com.br"],
    api: api.url,
  }).then((problems) => problems.map((p) => p.message));

describe("the DNS-01 token's check", () => {
  test("a token scoped as the docs say passes", async () => {
    expect(await check("scoped")).toEqual([]);
  });

  test("a token that cannot read the challenge zone (DNS Edit without Zone Read) is refused, saying what it needs", async () => {
    expect(await check("zone-read-missing")).toEqual([
      `cannot see the ACME challenge zone healtflow-acme.com.br (GET /zones?name=healtflow-acme.com.br finds none), and cert-manager looks it up that way before it writes a record: it must be a token with ${DNS01_TOKEN_SCOPE}`,
    ]);
  });

  test("a token that also sees the zone serving visitors is refused: it lives in the cluster", async () => {
    expect(await check("too-wide")).toEqual([
      `can see healtflow.com.br, a zone that serves visitors, from inside the cluster: it must be a token with ${DNS01_TOKEN_SCOPE}`,
    ]);
  });

  test("a token Cloudflare does not know is refused with Cloudflare's answer", async () => {
    expect(await check("revoked")).toEqual([
      `could not look up the ACME challenge zone healtflow-acme.com.br (HTTP 401, 1000: Invalid API Token): it must be a token with ${DNS01_TOKEN_SCOPE}`,
    ]);
  });

  test("the program checks it before it creates anything, and names the secret without showing it", async () => {
    // The engine's stand-in: a token sees the stacks' challenge zones, one named unscoped-… every zone.
    const run = (token: string) =>
      runProgram("production", { overrides: { "healthflow:cloudflareDnsToken": { secret: token } } });
    const error = await run("unscoped-cf-token").then(
      () => undefined,
      (e: unknown) => e as Error & { resources?: { type: string }[] },
    );
    expect(error?.message).toContain(
      "healthflow:cloudflareDnsToken = (a secret, not shown): can see healtflow.com.br, a zone that serves visitors",
    );
    expect(error?.message).not.toContain("unscoped-cf-token");
    expect((await run("scoped-cf-token")).resources.length).toBeGreaterThan(100);
  });
});

describe("the DNS-01 token's scope is said one way everywhere", () => {
  test("every mention of the DNS-01 token's Cloudflare permissions names Zone Read with DNS Edit", () => {
    // cert-manager's docs (Cloudflare issuer): "Zone - DNS - Edit" and "Zone - Zone - Read".
    expect(DNS01_TOKEN_SCOPE).toContain("Zone › Zone › Read");
    expect(DNS01_TOKEN_SCOPE).toContain("Zone › DNS › Edit");
    const files = [
      "README.md",
      "Pulumi.yaml",
      ...fs.readdirSync(path.join(PROJECT_ROOT, "docs")).map((f) => `docs/${f}`),
      "settings/index.ts",
      "settings/schema.ts",
      "components/ingress/index.ts",
      "components/ingress/issuers.ts",
    ].filter((f) => fs.existsSync(path.join(PROJECT_ROOT, f)));
    const lacking: string[] = [];
    for (const file of files) {
      const lines = fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8").split("\n");
      lines.forEach((line, i) => {
        const near = lines.slice(Math.max(0, i - 2), i + 3).join(" ");
        const aboutDns01 = /cloudflareDnsToken|DNS-01/.test(near);
        if (aboutDns01 && /DNS › Edit|DNS Write/.test(line) && !/Zone › Zone › Read|Zone Read/.test(near))
          lacking.push(`${file}:${i + 1}`);
      });
    }
    expect(lacking).toEqual([]);
  });
});

import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { DNS01_TOKEN_SCOPE } from "../../settings/catalog/cloudflareTokens";
import { SECRET_VALUE, type ConfigProblem } from "../../settings/schema";
import { failure } from "./preflight";

// cert-manager's DNS-01 token, asked of Cloudflare at every preview and update where it is set:
// the token lives in the cluster, so it must reach the stack's ACME challenge zone and nothing that
// serves visitors. cert-manager's Cloudflare solver finds the zone with `GET /zones?name=<zone>`
// first (pkg/issuer/acme/dns/cloudflare/cloudflare.go), so that is the call made here, as it makes it.

/** Cloudflare's API v4 (developers.cloudflare.com/api). */
export const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4";
/**
 * Where the check asks instead, when set: the engine of the offline plan and the tests puts a
 * promise of its stand-in's URL here (tools/engine/cloudflareApi.ts), so nothing they run reaches
 * Cloudflare; a real preview or update leaves it unset.
 */
export const CLOUDFLARE_API_SLOT = Symbol.for("healthflow.cloudflareApi");

async function cloudflareApi(): Promise<string> {
  const standIn = (globalThis as Record<symbol, unknown>)[CLOUDFLARE_API_SLOT] as Promise<string> | undefined;
  return standIn ? await standIn : CLOUDFLARE_API;
}

interface ZonesAnswer {
  success?: boolean;
  errors?: { code?: number; message?: string }[];
  result?: { id: string; name: string }[];
}

/** The zones named `name` the token can see, or why Cloudflare would not say. */
async function zonesNamed(
  api: string,
  token: string,
  name: string,
): Promise<{ ids: string[] } | { reason: string }> {
  try {
    const response = await fetch(`${api}/zones?name=${encodeURIComponent(name)}`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json().catch(() => ({}))) as ZonesAnswer;
    if (!response.ok || body.success === false) {
      const error = body.errors?.[0];
      return { reason: `HTTP ${response.status}${error ? `, ${error.code}: ${error.message}` : ""}` };
    }
    return { ids: (body.result ?? []).filter((z) => z.name === name).map((z) => z.id) };
  } catch (e) {
    return { reason: String((e as Error).message ?? e) };
  }
}

/**
 * What is wrong with the DNS-01 token, as Cloudflare answers: it must see the ACME challenge zone
 * by name and none of `servedZones` (the zones whose records send visitors).
 */
export async function dnsTokenProblems(args: {
  token: string;
  challengeZone: string;
  servedZones: string[];
  api?: string;
}): Promise<ConfigProblem[]> {
  const api = args.api ?? (await cloudflareApi());
  const problem = (message: string): ConfigProblem => ({
    path: ["cloudflareDnsToken"],
    value: SECRET_VALUE,
    message,
  });
  const challenge = await zonesNamed(api, args.token, args.challengeZone);
  if ("reason" in challenge) {
    return [
      problem(
        `could not look up the ACME challenge zone ${args.challengeZone} (${challenge.reason}): it must be a token with ${DNS01_TOKEN_SCOPE}`,
      ),
    ];
  }
  const problems: ConfigProblem[] = [];
  if (challenge.ids.length === 0) {
    problems.push(
      problem(
        `cannot see the ACME challenge zone ${args.challengeZone} (GET /zones?name=${args.challengeZone} finds none), and cert-manager looks it up that way before it writes a record: it must be a token with ${DNS01_TOKEN_SCOPE}`,
      ),
    );
  }
  for (const zone of args.servedZones) {
    const served = await zonesNamed(api, args.token, zone);
    if ("ids" in served && served.ids.length > 0) {
      problems.push(
        problem(
          `can see ${zone}, a zone that serves visitors, from inside the cluster: it must be a token with ${DNS01_TOKEN_SCOPE}`,
        ),
      );
    }
  }
  return problems;
}

/** The DNS-01 token's check for a stack: throws one ConfigError listing what is wrong. */
export async function checkDnsToken(settings: Settings, token: string): Promise<void> {
  const challengeZone = settings.dns.cloudflare?.acmeChallengeZone;
  if (!challengeZone) return;
  const problems = await dnsTokenProblems({ token, challengeZone, servedZones: [settings.dns.zone] });
  if (problems.length > 0) throw failure(settings, problems);
}

/**
 * The value of a config secret, for a check the program makes before it registers anything: a
 * stack's config values are known in a preview as in an update, so the apply always runs.
 */
export function plainValue(output: pulumi.Output<string>): Promise<string> {
  return new Promise((resolve) =>
    output.apply((value) => {
      resolve(value);
      return value;
    }),
  );
}

import { planProblems } from "./catalog/cloudflarePlans";
import { cpuCores, memoryBytes } from "./formats";
import type { ConfigProblem, StackConfig } from "./schema";

// The settings checks of the edge and the ingress that relate several values (settings/checks.ts
// runs them with the others, so every problem of a stack file is reported at once).

function hostProblem(host: string, zone: string): string | null {
  if (host !== zone && !host.endsWith(`.${zone}`)) return `must be inside the zone ${zone}`;
  if (host.split(".").length - zone.split(".").length > 1)
    return `must be one label below ${zone}: Cloudflare's Universal SSL covers *.${zone} only`;
  return null;
}

/**
 * cert-manager's token may edit the challenge zone, so that zone must share nothing with the
 * stack's own: a token for the stack's zone (or a parent of it) could repoint its hosts.
 */
function acmeChallengeZoneProblem(challengeZone: string, zone: string): string | null {
  const within = (name: string, parent: string) => name === parent || name.endsWith(`.${parent}`);
  if (within(challengeZone, zone))
    return `must be a zone of its own outside ${zone}: cert-manager's token may edit the challenge zone, and a token for ${zone} could repoint its hosts (a subdomain is part of ${zone}; Cloudflare makes subdomains zones of their own on Enterprise only)`;
  if (within(zone, challengeZone)) return `must not contain the stack's zone ${zone}`;
  return null;
}

/** Problems of `dns.cloudflare`, `edge` (against the Cloudflare plan) and `ingress`. */
export function edgeSettingsProblems(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.environment === "dev") return problems;
  const env = `for environment "${config.environment}"`;
  const { dns, ingress } = config;

  if (!dns.cloudflare) {
    problems.push({
      path: ["dns", "cloudflare"],
      value: undefined,
      message: `is required ${env} (Cloudflare: does this stack own the zone's settings and rulesets, and which zone answers its ACME challenges?)`,
    });
  } else {
    const { ownsZone, sharedWith, acmeChallengeZone } = dns.cloudflare;
    if (sharedWith && !ownsZone) {
      problems.push({
        path: ["dns", "cloudflare", "sharedWith"],
        value: sharedWith,
        message:
          "must be absent: only the stack that owns the zone (ownsZone: true) lists the stacks sharing it; this stack declares no zone setting or ruleset",
      });
    }
    sharedWith?.forEach((other, i) => {
      for (const key of ["appHost", "apiHost"] as const) {
        const problem =
          other[key] === dns.appHost || other[key] === dns.apiHost
            ? "must be another stack's host, not this stack's"
            : hostProblem(other[key], dns.zone);
        if (problem)
          problems.push({
            path: ["dns", "cloudflare", "sharedWith", i, key],
            value: other[key],
            message: problem,
          });
      }
    });
    const challengeProblem = acmeChallengeZoneProblem(acmeChallengeZone, dns.zone);
    if (challengeProblem) {
      problems.push({
        path: ["dns", "cloudflare", "acmeChallengeZone"],
        value: acmeChallengeZone,
        message: challengeProblem,
      });
    }
  }
  problems.push(...planProblems(config.edge));

  if (!ingress) {
    problems.push({
      path: ["ingress"],
      value: undefined,
      message: `is required ${env} (the NGINX Ingress Controller and cert-manager)`,
    });
    return problems;
  }
  const { controller, certManager } = ingress;
  if (controller.minReplicas > controller.maxReplicas) {
    problems.push({
      path: ["ingress", "controller", "minReplicas"],
      value: controller.minReplicas,
      message: `must be <= maxReplicas (${controller.maxReplicas})`,
    });
  }
  const { requests, limits } = controller.resources;
  if (
    cpuCores(limits.cpu) < cpuCores(requests.cpu) ||
    memoryBytes(limits.memory) < memoryBytes(requests.memory)
  ) {
    problems.push({
      path: ["ingress", "controller", "resources", "limits"],
      value: limits,
      message: `must be >= requests (${requests.cpu} CPU, ${requests.memory})`,
    });
  }
  if (config.environment === "production") {
    if (controller.minReplicas < 2) {
      problems.push({
        path: ["ingress", "controller", "minReplicas"],
        value: controller.minReplicas,
        message: "must be >= 2 in production: every request of the product passes through the controller",
      });
    }
    if (certManager.replicas < 2) {
      problems.push({
        path: ["ingress", "certManager", "replicas"],
        value: certManager.replicas,
        message:
          "must be >= 2 in production: with its webhook down, no certificate can be renewed or changed",
      });
    }
  }
  return problems;
}

/**
 * What no single stack file can see: across the project's cloud stacks, each Cloudflare zone has
 * exactly one owner (zone settings and rulesets have one value per zone; two owners would undo each
 * other's changes, the second one before production's approval), the owner's rules cover every
 * other stack's hosts in its zone, and no two stacks share an ACME challenge zone or use another
 * stack's zone as theirs (a token for it could obtain that stack's certificates). One sentence per
 * problem; none for a sound project. Tests run it over every stack file.
 */
export function zoneOwnershipProblems(stacks: { stack: string; dns: StackConfig["dns"] }[]): string[] {
  const problems: string[] = [];
  const cloud = stacks.filter((s) => s.dns.cloudflare);
  for (const zone of [...new Set(cloud.map((s) => s.dns.zone))].sort()) {
    const members = cloud.filter((s) => s.dns.zone === zone);
    const owners = members.filter((s) => s.dns.cloudflare?.ownsZone);
    if (owners.length !== 1) {
      problems.push(
        `zone ${zone} must have exactly one stack with dns.cloudflare.ownsZone: true; it has ${owners.length}` +
          (owners.length > 1 ? ` (${owners.map((s) => s.stack).join(", ")})` : ""),
      );
      continue;
    }
    const [owner] = owners;
    const listed = (owner.dns.cloudflare?.sharedWith ?? []).map((h) => `${h.appHost} ${h.apiHost}`).sort();
    const others = members.filter((s) => s !== owner).map((s) => `${s.dns.appHost} ${s.dns.apiHost}`);
    for (const missing of others.filter((h) => !listed.includes(h)))
      problems.push(
        `stack ${owner.stack} owns zone ${zone} but its dns.cloudflare.sharedWith lacks ${missing}`,
      );
    for (const extra of listed.filter((h) => !others.includes(h)))
      problems.push(
        `stack ${owner.stack} lists ${extra} in dns.cloudflare.sharedWith, which no stack of ${zone} serves`,
      );
  }
  const challengeZone = (s: (typeof cloud)[number]) => s.dns.cloudflare?.acmeChallengeZone;
  for (const s of cloud) {
    const challenge = challengeZone(s);
    for (const other of cloud.filter((o) => o !== s)) {
      if (challengeZone(other) === challenge && s.stack < other.stack)
        problems.push(`stacks ${s.stack} and ${other.stack} share the ACME challenge zone ${challenge}`);
      if (challenge === other.dns.zone || challenge?.endsWith(`.${other.dns.zone}`))
        problems.push(
          `stack ${s.stack}'s ACME challenge zone ${challenge} is in stack ${other.stack}'s zone ${other.dns.zone}`,
        );
    }
  }
  return problems;
}

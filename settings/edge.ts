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
      message: `is required ${env} (Cloudflare: does this stack own the zone's rulesets?)`,
    });
  } else if (dns.cloudflare.sharedWith && !dns.cloudflare.ownsRulesets) {
    problems.push({
      path: ["dns", "cloudflare", "sharedWith"],
      value: dns.cloudflare.sharedWith,
      message: "must be absent: only the stack that owns the zone's rulesets lists the stacks sharing it",
    });
  } else {
    dns.cloudflare.sharedWith?.forEach((other, i) => {
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

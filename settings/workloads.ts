import { API_METRICS_PORT } from "./catalog/ports";
import type { ConfigProblem, StackConfig } from "./schema";

// Settings checks of the apps on the cluster that relate values of several keys (settings/checks.ts
// runs them with the others).

/** The apps' ports against the api's metrics port; the auth rate limit against the ingress fleet. */
export function workloadSettingsProblems(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, app] of Object.entries(config.apps)) {
    if (app.port === API_METRICS_PORT) {
      problems.push({
        path: ["apps", name, "port"],
        value: app.port,
        message: `must not be ${API_METRICS_PORT}: the api serves its metrics there, a port no Ingress may reach`,
      });
    }
  }
  for (const [name, app] of Object.entries(config.apps)) {
    if (app.port === undefined && app.health !== undefined && app.health !== "none") {
      problems.push({
        path: ["apps", name, "health"],
        value: app.health,
        message: `needs apps.${name}.port: probes reach the app on its port (an app without one has none)`,
      });
    }
  }
  if (config.environment !== "dev" && config.smtp === undefined) {
    problems.push({
      path: ["smtp"],
      value: undefined,
      message: `is required for environment "${config.environment}" (the mail provider's SMTP endpoint: host, port, username)`,
    });
  }
  if (config.registryToken !== undefined && config.registry === undefined) {
    problems.push({
      path: ["registry"],
      value: undefined,
      message:
        "is required when healthflow:registryToken is set: the registry (server, username) the token logs in to",
    });
  }
  // nginx.org/limit-req-scale: each controller replica enforces rate / ready replicas, rounded
  // down (F5 NGINX Ingress Controller internal/configs/ingress.go, scaleRatelimit). Below one
  // request a minute per replica the share is "0r/m", a zone nginx refuses.
  const controller = config.ingress?.controller;
  const auth = config.edge.rateLimits.auth;
  if (controller && auth.requestsPerMinute < controller.maxReplicas) {
    problems.push({
      path: ["edge", "rateLimits", "auth", "requestsPerMinute"],
      value: auth.requestsPerMinute,
      message: `must be >= ingress.controller.maxReplicas (${controller.maxReplicas}): each controller replica enforces its share, rounded down, and a share of 0 r/min is a rate nginx refuses`,
    });
  }
  return problems;
}

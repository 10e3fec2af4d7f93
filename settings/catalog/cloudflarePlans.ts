// What each Cloudflare plan allows of the features the edge uses, from Cloudflare's documentation
// ("Rate limiting rules: availability", "WAF managed rules", "Upload limits"). The edge is built
// for one plan (`healthflow:edge.cloudflarePlan`); settings refuse a plan that cannot run it, so a
// deploy never fails halfway through on a plan limit.

/** Plans from cheapest to most capable (the values `healthflow:edge.cloudflarePlan` takes). */
export const PLAN_ORDER = ["free", "pro", "business", "enterprise"] as const;
export type CloudflarePlan = (typeof PLAN_ORDER)[number];

export interface PlanLimits {
  /** Rate limiting rules per zone. */
  rateLimitRules: number;
  /** Longest counting period of a rate limiting rule, seconds. */
  maxRatePeriodSeconds: number;
  /** Longest mitigation timeout (how long a client stays blocked), seconds. */
  maxMitigationTimeoutSeconds: number;
  /** Rate limiting expressions may test `http.host` (Free may test the path only). */
  rateLimitByHost: boolean;
  /** The Cloudflare Managed Ruleset and the OWASP Core Ruleset (Free gets only the Free Managed Ruleset). */
  managedWaf: boolean;
  /** Largest request body the edge forwards, MB. */
  maxUploadMb: number;
}

export const PLAN_LIMITS: Record<CloudflarePlan, PlanLimits> = {
  free: {
    rateLimitRules: 1,
    maxRatePeriodSeconds: 10,
    maxMitigationTimeoutSeconds: 10,
    rateLimitByHost: false,
    managedWaf: false,
    maxUploadMb: 100,
  },
  pro: {
    rateLimitRules: 2,
    maxRatePeriodSeconds: 60,
    maxMitigationTimeoutSeconds: 3600,
    rateLimitByHost: true,
    managedWaf: true,
    maxUploadMb: 100,
  },
  business: {
    rateLimitRules: 5,
    maxRatePeriodSeconds: 600,
    maxMitigationTimeoutSeconds: 86400,
    rateLimitByHost: true,
    managedWaf: true,
    maxUploadMb: 200,
  },
  enterprise: {
    rateLimitRules: 100,
    maxRatePeriodSeconds: 65535,
    maxMitigationTimeoutSeconds: 86400,
    rateLimitByHost: true,
    managedWaf: true,
    maxUploadMb: 500,
  },
};

/** The counting periods (and mitigation timeouts) the Rulesets API accepts, seconds. */
export const SUPPORTED_PERIODS = [
  10, 15, 20, 30, 40, 45, 60, 90, 120, 180, 240, 300, 480, 600, 900, 1200, 1800, 2400, 3600, 65535, 86400,
];

/** What a rate limiting rule needs of the plan. */
export interface RateLimitNeeds {
  periodSeconds: number;
  mitigationTimeoutSeconds: number;
  byHost: boolean;
}

/** The cheapest plan that runs these rate limiting rules (count, periods, host field). */
export function cheapestPlanFor(rules: RateLimitNeeds[]): CloudflarePlan {
  const fits = (plan: CloudflarePlan) => {
    const limits = PLAN_LIMITS[plan];
    return (
      rules.length <= limits.rateLimitRules &&
      rules.every(
        (rule) =>
          rule.periodSeconds <= limits.maxRatePeriodSeconds &&
          rule.mitigationTimeoutSeconds <= limits.maxMitigationTimeoutSeconds &&
          (limits.rateLimitByHost || !rule.byHost),
      )
    );
  };
  const plan = PLAN_ORDER.find(fits);
  if (!plan) throw new Error("no Cloudflare plan runs these rate limiting rules");
  return plan;
}

/** True when `plan` offers at least what `needed` offers. */
export function planCovers(plan: CloudflarePlan, needed: CloudflarePlan): boolean {
  return PLAN_ORDER.indexOf(plan) >= PLAN_ORDER.indexOf(needed);
}

/**
 * The counting windows of the edge's two rate limits, seconds. The rules are the guide's
 * `limit_req` zones (components/edge/rules.ts); these windows, and which of them tests the Host
 * header, are what they need of the plan.
 */
export const RATE_LIMIT_WINDOWS = { general: 10, auth: 60 } as const;

/**
 * Which rate limit tests the Host header: the general one (its WebSocket exemption names the API
 * host); the auth one matches its path on every host.
 */
export const RATE_LIMIT_BY_HOST = { general: true, auth: false } as const;

/** The edge settings a plan is checked against (`healthflow:edge`). */
export interface EdgePlanNeeds {
  cloudflarePlan: CloudflarePlan;
  maxBodySizeMb: number;
}

/** The cheapest Cloudflare plan the edge's rate limits need. */
export function rateLimitPlan(): CloudflarePlan {
  return cheapestPlanFor(
    (Object.keys(RATE_LIMIT_WINDOWS) as (keyof typeof RATE_LIMIT_WINDOWS)[]).map((rule) => ({
      periodSeconds: RATE_LIMIT_WINDOWS[rule],
      mitigationTimeoutSeconds: RATE_LIMIT_WINDOWS[rule],
      byHost: RATE_LIMIT_BY_HOST[rule],
    })),
  );
}

/** A setting the configured Cloudflare plan cannot honour: where, which value, why. */
export interface PlanProblem {
  path: string[];
  value: unknown;
  message: string;
}

/** What the configured plan cannot run of the edge these settings describe (staging/production). */
export function planProblems(edge: EdgePlanNeeds & { rateLimits: unknown }): PlanProblem[] {
  const plan = edge.cloudflarePlan;
  const limits = PLAN_LIMITS[plan];
  const problems: PlanProblem[] = [];
  if (!limits.managedWaf) {
    problems.push({
      path: ["edge", "cloudflarePlan"],
      value: plan,
      message: `must be "pro" or higher: the Cloudflare Managed Ruleset and the OWASP Core Ruleset (the WAF in front of patients' data) need Pro`,
    });
  }
  const needed = rateLimitPlan();
  if (!planCovers(plan, needed)) {
    problems.push({
      path: ["edge", "rateLimits"],
      value: edge.rateLimits,
      message: `need Cloudflare "${needed}" or higher (two rules, a 60 s window, the Host field); the plan is "${plan}"`,
    });
  }
  if (edge.maxBodySizeMb > limits.maxUploadMb) {
    problems.push({
      path: ["edge", "maxBodySizeMb"],
      value: edge.maxBodySizeMb,
      message: `must be <= ${limits.maxUploadMb}: Cloudflare "${plan}" refuses larger request bodies`,
    });
  }
  return problems;
}

/**
 * Every preview says what the stack costs a month. CrossGuard has no informational level, so this rule is
 * advisory and always reports: the estimate is its message (the budget rule is the one that can block).
 */
import { stackPolicy } from "../../../lib/define";
import { configSchema } from "../../../lib/config";
import { analyzedCost } from "./analyzed";
import { describeEstimate } from "./estimate";

export const costMonthlyEstimate = stackPolicy({
  name: "aws-cost-monthly-estimate",
  description: "Reports the stack's estimated monthly AWS cost (advisory, informational).",
  severity: "low",
  enforcementLevel: "advisory",
  mirrors: { other: ["FinOps Framework: cost allocation and forecasting"] },
  tags: ["cost", "finops"],
  remediationSteps:
    "Nothing to fix: read the estimate. To lower it, shrink node groups, database classes or retention in Pulumi.<stack>.yaml.",
  configSchema: configSchema(),
  validateStack: (args, reportViolation) => {
    const estimate = analyzedCost(args.resources);
    // A stack with nothing billed by AWS (dev, on Docker) has nothing to report.
    if (estimate.items.length > 0 || estimate.unpriced.length > 0)
      reportViolation(describeEstimate(estimate));
  },
});

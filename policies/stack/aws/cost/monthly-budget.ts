/** A stack that can cost more than its budget is refused (or, advisory, flagged) before it is deployed. */
import { stackPolicy } from "../../../lib/define";
import { configSchema, readConfig } from "../../../lib/config";
import { analyzedCost } from "./analyzed";
import { describeEstimate, range } from "./estimate";

const defaults = { maxMonthlyUsd: 0 };

export const costMonthlyBudget = stackPolicy({
  name: "aws-cost-monthly-budget",
  description: "The stack's estimated monthly AWS cost at its maximum scale stays within its budget.",
  severity: "medium",
  enforcementLevel: "advisory",
  mirrors: { other: ["FinOps Framework: budgeting"] },
  tags: ["cost", "finops"],
  remediationSteps:
    "Lower the maximum (node groups' maxSize, database class or storage ceiling, retention) in Pulumi.<stack>.yaml, or raise maxMonthlyUsd in the stack's policy config after the spend is approved.",
  configSchema: configSchema({
    maxMonthlyUsd: {
      type: "number",
      minimum: 0,
      default: defaults.maxMonthlyUsd,
      description:
        "Budget in USD a month for the estimate at maximum scale (node groups at maxSize, storage at its ceiling); 0: no budget.",
    },
  }),
  validateStack: (args, reportViolation) => {
    const { maxMonthlyUsd } = readConfig(args, defaults);
    if (maxMonthlyUsd === 0) return;
    const estimate = analyzedCost(args.resources);
    if (estimate.max > maxMonthlyUsd) {
      reportViolation(
        `Bring the stack's monthly cost at maximum scale, ${range(estimate.max, estimate.max)}, within its budget of ${range(maxMonthlyUsd, maxMonthlyUsd)}.\n${describeEstimate(estimate)}`,
      );
    }
  },
});

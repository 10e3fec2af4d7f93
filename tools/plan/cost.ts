import { analyzerProps } from "../../policies/offline/resources";
import { estimateMonthlyCost, range, type CostEstimate } from "../../policies/stack/aws/cost/estimate";
import type { ProgramRun } from "../engine/engine";
import type { CheckResult } from "./check";

// The monthly cost estimate, every item: the same model as the pack's aws-cost-monthly-estimate rule
// (policies/stack/aws/cost/estimate.ts), on the resources as the analyzer would see them.

/** The stack's estimate (dev's is empty: it runs on Docker). */
export function costOfRun(run: ProgramRun): CostEstimate {
  return estimateMonthlyCost(run.resources.map((r) => ({ type: r.type, props: analyzerProps(r.inputs) })));
}

export async function costSection(run: ProgramRun): Promise<CheckResult> {
  const estimate = costOfRun(run);
  if (estimate.items.length === 0) {
    return {
      title: "Monthly cost: dev runs on the local Docker engine, nothing billed by AWS.",
      lines: [],
      failed: false,
    };
  }
  const width = Math.max(...estimate.items.map((i) => range(i.min, i.max).length));
  return {
    title: `Monthly cost, estimated (sa-east-1 on-demand USD; minimum scale to maximum): ${range(estimate.min, estimate.max)}`,
    lines: [
      ...estimate.items.map((i) => `  ${range(i.min, i.max).padStart(width)}  ${i.name}`),
      ...estimate.unpriced.map((what) => `  not priced: ${what}`),
      "  Prices and usage assumptions: policies/stack/aws/cost/prices-sa-east-1.json (each with its source).",
    ],
    failed: false,
  };
}

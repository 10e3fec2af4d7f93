import type { PolicyResource } from "@pulumi/policy";
import { type CostEstimate, estimateMonthlyCost } from "./estimate";

/** The estimate of the resources a stack policy is handed (both cost rules read the same one). */
export function analyzedCost(resources: PolicyResource[]): CostEstimate {
  return estimateMonthlyCost(resources.map((r) => ({ type: r.type, props: r.props })));
}

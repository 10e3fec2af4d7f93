import * as fs from "fs";
import * as path from "path";
import { range } from "../policies/stack/aws/cost/estimate";
import { costOfRun } from "../tools/plan/cost";
import { tableRows } from "./harness/markdown";
import { plannedRun } from "./harness/plans";

// The README's stack table states each stack's monthly cost; it must be what the plan estimates
// from the stack's own files (the same model as the aws-cost-monthly-estimate policy).

const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

/** The cells of the stack table's row whose first cell starts with `label`, by column. */
function stackTableRow(label: string): Record<"dev" | "staging" | "production", string> {
  const rows = tableRows(readme);
  const header = rows.find((cells) => cells[1] === "dev" && cells[2] === "staging");
  const row = rows.find((cells) => cells[0].startsWith(label));
  if (!header || !row) throw new Error(`README.md has no stack table row "${label}"`);
  return {
    dev: row[header.indexOf("dev")],
    staging: row[header.indexOf("staging")],
    production: row[header.indexOf("production")],
  };
}

describe("the README's stack table", () => {
  const row = stackTableRow("AWS monthly cost");

  it.each(["staging", "production"] as const)(
    "states %s's monthly estimate as the plan computes it",
    (stack) => {
      const estimate = costOfRun(plannedRun(stack));
      expect(estimate.items.length).toBeGreaterThan(5);
      expect(estimate.max).toBeGreaterThan(estimate.min);
      expect(row[stack]).toBe(range(estimate.min, estimate.max));
    },
  );

  it("says dev bills nothing, as the plan finds no priced resource in it", () => {
    expect(costOfRun(plannedRun("dev")).items).toEqual([]);
    expect(row.dev).toMatch(/nothing billed/);
  });
});

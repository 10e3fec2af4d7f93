/**
 * Violations printed as `pulumi preview` prints its "Policies:" section (pkg/backend/display: printPolicies
 * and renderDiffPolicyViolationEvent): one header per pack with ✅/⚠️/❌, then each violation sorted by
 * enforcement level, policy name and URN, as "- [level]  policy  (type: name)" and the indented message.
 */
import type { Diagnostic, NotEvaluated } from "./analyzer";

const itemIndent = "        ";
const lineIndent = `${itemIndent}  `;

/** The type and name parts of a URN: urn:pulumi:<stack>::<project>::<parent$type>::<name>. */
export function urnTypeAndName(urn: string | undefined): { type: string; name: string } {
  const parts = urn?.split("::") ?? [];
  if (parts.length < 4) {
    return { type: "pulumi:pulumi:Stack", name: urn ?? "" };
  }
  const qualifiedType = parts[2];
  return { type: qualifiedType.slice(qualifiedType.lastIndexOf("$") + 1), name: parts.slice(3).join("::") };
}

function compare(a: Diagnostic, b: Diagnostic): number {
  return (
    a.enforcementLevel.localeCompare(b.enforcementLevel) ||
    a.policyName.localeCompare(b.policyName) ||
    (a.urn ?? "").localeCompare(b.urn ?? "")
  );
}

export function formatPolicySection(
  pack: { name: string; version: string; localPath: string },
  violations: Diagnostic[],
  notEvaluated: NotEvaluated[] = [],
): string {
  // The real analyzer reports a rule it could not run during preview as an advisory diagnostic.
  const all = [
    ...violations,
    ...notEvaluated.map((n) => ({ ...n, enforcementLevel: "advisory" as const, message: n.reason })),
  ].sort(compare);
  const status = all.some((v) => v.enforcementLevel === "mandatory") ? "❌" : all.length > 0 ? "⚠️" : "✅";
  const lines = ["Policies:", `    ${status} ${pack.name}@v${pack.version} (local: ${pack.localPath})`];
  for (const violation of all) {
    const { type, name } = urnTypeAndName(violation.urn);
    lines.push(`${itemIndent}- [${violation.enforcementLevel}]  ${violation.policyName}  (${type}: ${name})`);
    lines.push(`${lineIndent}${violation.message.replace(/\n$/, "").replace(/\n/g, `\n${lineIndent}`)}`);
  }
  return `${lines.join("\n")}\n`;
}

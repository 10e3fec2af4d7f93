/** metav1.LabelSelector semantics: every matchLabels pair and every matchExpressions requirement must hold. */
export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

function requirementHolds(requirement: LabelSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case "In":
      return has && values.includes(labels[requirement.key]);
    case "NotIn":
      return !has || !values.includes(labels[requirement.key]);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    default:
      // The API server rejects other operators; treat them as selecting nothing.
      return false;
  }
}

/** Whether `selector` selects a pod with `labels`. A missing selector selects nothing (policy/v1 PDB semantics). */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) {
    return false;
  }
  const pairsHold = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return pairsHold && (selector.matchExpressions ?? []).every((r) => requirementHolds(r, labels));
}

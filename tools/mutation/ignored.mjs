// Mutants set aside from the mutation score (stryker.config.mjs), each with its reason: equivalent
// mutants (the change cannot alter what the program does) and cosmetic ones (text only a person
// reads). A mutant that changes behaviour is never listed here: a test kills it instead.
//
// Each entry names a file and the exact source text of a piece of it (an expression, a property, a
// statement): every mutant inside that piece is set aside, with the entry's reason in the report.
// A few kinds of text are set aside wherever they are, by the rules at the end (RULES).
import { declareValuePlugin, PluginKind } from "@stryker-mutator/api/plugin";

/** @type {{ file: string; code: string; reason: string }[]} */
export const MUTATION_IGNORED = [
  {
    file: "policies/aws/elasticache/replication-group-auth-token.ts",
    code: "[]",
    reason:
      "Equivalent: reached only when isSet() found userGroupIds set, and isSet (policies/lib/known.ts) counts null and undefined as unset, so the fallback list is never used.",
  },
  {
    file: "policies/offline/analyzer.ts",
    code: '"Policy does not apply"',
    reason:
      "Equivalent: the message of a NotApplicableError is never read; the analyzer skips the rule for that resource, whatever it says.",
  },
  {
    file: "policies/stack/cloudflare/zone-managed-waf.ts",
    code: 'rule.actionParameters?.id ?? ""',
    reason:
      "Equivalent: an execute rule without actionParameters.id runs no managed ruleset the config requires; any stand-in for the missing id matches none of them.",
  },
  {
    file: "policies/kubernetes/label-selector.ts",
    code: "const values = requirement.values ?? [];",
    reason:
      "Equivalent: the API server refuses In and NotIn without values (LabelSelectorRequirement: values must be non-empty for them) and ignores values for Exists and DoesNotExist, so the fallback list is read for no selector the cluster accepts.",
  },
  {
    file: "policies/lib/cidr.ts",
    code: "range.last > current.last",
    reason:
      "Equivalent: when both end at the same address, extending the merged block to that address leaves it as it was.",
  },
  {
    file: "policies/cloudflare/zone-settings.ts",
    code: "settingId.toLowerCase()",
    reason:
      "Equivalent: both ids compared go through normalizeSettingId, so upper case instead of lower compares alike.",
  },
  {
    file: "policies/stack/cloudflare/zone-managed-waf.ts",
    code: '(rule.expression ?? "").trim()',
    reason:
      "Equivalent: asWideAsAHost finds no field in an empty stand-in or in any text without one, so a skip rule without an expression counts as covering whole hosts either way (and Cloudflare's rulesets API requires an expression).",
  },
  {
    file: "policies/offline/format.ts",
    code: '(a.urn ?? "").localeCompare(b.urn ?? "")',
    reason:
      "Cosmetic: the order in which the printed policy section lists two violations of the same rule and level; every violation is printed either way.",
  },
  {
    file: "policies/offline/config-files.ts",
    code: '"PolicyConfigError"',
    reason:
      "Cosmetic: the error's name shows only in a stack trace; its callers (tools/plan/index.ts, tools/policy-config.ts) tell it apart with instanceof and print its message.",
  },
  {
    file: "settings/formats.ts",
    code: "const prefix = m ? Number(m[5]) : -1;",
    reason:
      "Equivalent: without a match (m null) cidrProblem returns at the next line, before the stand-in prefix is read.",
  },
];

const keyIs = (property, name) =>
  property.type === "ObjectProperty" && (property.key.name === name || property.key.value === name);

/**
 * Whether the node at `path` is a setting's description in a JSON schema (an object with `type` and
 * `description`, or the first argument of policies/lib/config.ts's `stringList`).
 */
export function isSchemaDescription(path) {
  const parent = path.parentPath;
  if (!parent || !(path.isStringLiteral() || path.isTemplateLiteral())) return false;
  if (parent.isCallExpression())
    return parent.node.callee.name === "stringList" && parent.node.arguments[0] === path.node;
  if (!parent.isObjectProperty() || parent.node.value !== path.node || !keyIs(parent.node, "description"))
    return false;
  return parent.parentPath.node.properties.some((property) => keyIs(property, "type"));
}

/**
 * Whether the node at `path` is the `tags`, `mirrors` or `remediationSteps` of a rule's definition.
 * (Not its description: it starts every violation's message, which the tests assert.)
 */
export function isRuleLabels(path) {
  const parent = path.parentPath;
  if (!parent?.isObjectProperty() || parent.node.value !== path.node) return false;
  if (!["tags", "mirrors", "remediationSteps"].some((key) => keyIs(parent.node, key))) return false;
  const definition = parent.parentPath.node.properties;
  return definition.some((p) => keyIs(p, "enforcementLevel")) && definition.some((p) => keyIs(p, "name"));
}

/** Whether the node at `path` is the reason a rule gives `args.notApplicable(...)`. */
export function isNotApplicableReason(path) {
  const call = path.parentPath;
  if (!call?.isCallExpression() || call.node.arguments[0] !== path.node) return false;
  const callee = call.node.callee;
  return callee.type === "MemberExpression" && callee.property.name === "notApplicable";
}

/** Text set aside wherever it is: what matches it, and why. */
const RULES = [
  [
    isSchemaDescription,
    "Cosmetic: a setting's description in a JSON schema, shown to a person (pulumi's policy config, the settings' docs); nothing reads it.",
  ],
  [
    isRuleLabels,
    "Cosmetic: a rule's tags, the other tools' checks it mirrors or its remediation advice, text for a person; no verdict reads them.",
  ],
  [
    isNotApplicableReason,
    "Cosmetic: why a rule does not apply to a resource, which the engine only lists; the verdict is the same whatever it says.",
  ],
];

/** The entry that sets aside the node at `path` (a babel NodePath), when one does. */
export function entryFor(file, source) {
  const name = file.replaceAll("\\", "/");
  return MUTATION_IGNORED.find(
    (entry) => (name === entry.file || name.endsWith(`/${entry.file}`)) && source.trim() === entry.code,
  );
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "healthflow", {
    shouldIgnore(path) {
      const rule = RULES.find(([matches]) => matches(path));
      if (rule) return rule[1];
      const file = path.hub?.file?.opts?.filename;
      if (!file) return undefined;
      return entryFor(file, path.getSource())?.reason;
    },
  }),
];

import { dump } from "js-yaml";

/**
 * A value as the YAML files the plan writes (rules, Alertmanager's config, manifests): lines never
 * folded, a repeated object written out again rather than as an anchor, and strings that YAML 1.1
 * or 1.2 reads as something else ("yes", "off", "1.0", "0755") quoted. (js-yaml leaves a few rarer
 * number spellings bare, such as "1_000", which YAML 1.1 reads as 1000.) js-yaml, the parser the Pulumi SDK
 * itself loads, so writing these costs no second YAML library.
 */
export function toYaml(value: unknown): string {
  return dump(value, { lineWidth: -1, noRefs: true });
}

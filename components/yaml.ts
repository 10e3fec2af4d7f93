import { dump } from "js-yaml";

/**
 * A value as the YAML files the plan writes (rules, Alertmanager's config, manifests): lines never
 * folded, a repeated object written out again rather than as an anchor, and strings a YAML 1.1
 * reader would take for something else ("yes", "1.0") quoted. js-yaml, the parser the Pulumi SDK
 * itself loads, so writing these costs no second YAML library.
 */
export function toYaml(value: unknown): string {
  return dump(value, { lineWidth: -1, noRefs: true });
}

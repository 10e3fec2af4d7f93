import { CORE_SCHEMA, dump, load, loadAll } from "js-yaml";

// YAML as this project reads and writes it, in one place. js-yaml, the parser the Pulumi SDK itself
// loads, so it costs no second YAML library.

/**
 * A value as the YAML files the plan writes (rules, Alertmanager's config, manifests): lines never
 * folded, a repeated object written out again rather than as an anchor, and strings that YAML 1.1
 * or 1.2 reads as something else ("yes", "off", "1.0", "0755") quoted. (js-yaml leaves a few rarer
 * number spellings bare, such as "1_000", which YAML 1.1 reads as 1000.)
 */
export function toYaml(value: unknown): string {
  return dump(value, { lineWidth: -1, noRefs: true });
}

// Reading uses YAML 1.2's core schema, as the Pulumi CLI's Go reader does: an unquoted date stays
// the text it looks like, and `<<` is a key like any other.

/** One YAML document (a stack file, Pulumi.yaml). */
export function fromYaml(text: string): unknown {
  return load(text, { schema: CORE_SCHEMA });
}

/** Every document of a YAML stream (a ConfigGroup's `yaml`). */
export function fromYamlDocuments(text: string): unknown[] {
  return loadAll(text, undefined, { schema: CORE_SCHEMA });
}

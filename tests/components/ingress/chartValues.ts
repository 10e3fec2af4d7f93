import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import Ajv2019 from "ajv/dist/2019";
import type { AnySchema, ErrorObject, ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import * as YAML from "js-yaml";
import { PROJECT_ROOT } from "../../../tools/engine/stackConfig";

// Offline checks of Helm values against a chart's own files (charts/<chart>/<version>/): Helm
// silently ignores a key the chart does not know, so a misspelt key is a setting that never
// happens. Two checks, as Helm itself would apply them if it could see the mistake:
//  - every key path we set exists in the chart's values.yaml, unless it sits under a free-form
//    map (an empty `{}` default, e.g. controller.config.entries) or under a key the schema types
//    as a Kubernetes object (whose fields the schema check below validates);
//  - the merged values (defaults, then ours, merged as Helm merges) validate against
//    values.schema.json.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

export interface ChartFiles {
  dir: string;
  defaults: JsonObject;
  schema: JsonObject;
}

export function chartFiles(chart: string, version: string): ChartFiles {
  const dir = path.join(PROJECT_ROOT, "charts", chart, version);
  if (!fs.existsSync(path.join(dir, "values.yaml")))
    throw new Error(
      `charts/${chart}/${version}/values.yaml is missing: vendor the chart's files before pinning it`,
    );
  return {
    dir,
    defaults: YAML.load(fs.readFileSync(path.join(dir, "values.yaml"), "utf8")) as JsonObject,
    schema: JSON.parse(fs.readFileSync(path.join(dir, "values.schema.json"), "utf8")),
  };
}

/** Every leaf key path of a values object (arrays are leaves, as Helm replaces them whole). */
export function keyPaths(values: unknown, prefix: string[] = []): string[][] {
  if (!isObject(values) || Object.keys(values).length === 0) return [prefix];
  return Object.entries(values).flatMap(([key, value]) => keyPaths(value, [...prefix, key]));
}

/** Helm's merge of user values over defaults: maps merge, everything else replaces, null deletes. */
export function helmMerge(defaults: Json, values: Json): Json {
  if (!isObject(defaults) || !isObject(values)) return values;
  const merged: JsonObject = { ...defaults };
  for (const [key, value] of Object.entries(values)) {
    if (value === null) delete merged[key];
    else merged[key] = key in defaults ? helmMerge(defaults[key], value) : value;
  }
  return merged;
}

const K8S_DEFINITIONS =
  /^https:\/\/raw\.githubusercontent\.com\/[^#]+_definitions\.json#\/definitions\/(.+)$/;

/** The schema node at a key path, following local `$ref`s; null where the schema says nothing. */
function schemaAt(schema: JsonObject, keyPath: string[]): JsonObject[] {
  const nodes: JsonObject[] = [];
  const resolve = (node: Json | undefined): JsonObject | undefined => {
    let current = node;
    for (
      let hops = 0;
      isObject(current) && typeof current.$ref === "string" && current.$ref.startsWith("#/");
      hops++
    ) {
      if (hops > 20) throw new Error("schema $ref loop");
      current = current.$ref
        .slice(2)
        .split("/")
        .reduce<Json | undefined>((n, part) => (isObject(n) ? n[part] : undefined), schema);
    }
    return isObject(current) ? current : undefined;
  };
  let node = resolve(schema);
  for (const key of keyPath) {
    if (!node) break;
    nodes.push(node);
    node = resolve(isObject(node.properties) ? node.properties[key] : undefined);
  }
  if (node) nodes.push(node);
  return nodes;
}

/** Key paths of `values` that the chart does not declare; empty when every key is a real setting. */
export function unknownKeyPaths(values: JsonObject, files: ChartFiles): string[] {
  return keyPaths(values)
    .filter((keyPath) => {
      let node: Json | undefined = files.defaults;
      for (const [i, key] of keyPath.entries()) {
        if (isObject(node) && Object.keys(node).length === 0) return false; // free-form map
        if (!isObject(node) || !(key in node)) {
          // Not in values.yaml: fine only below a key the schema types as a Kubernetes object.
          const typed = schemaAt(files.schema, keyPath.slice(0, i + 1)).some(
            (s) => typeof s.$ref === "string" && K8S_DEFINITIONS.test(s.$ref),
          );
          return !typed;
        }
        node = node[key];
      }
      return false;
    })
    .map((p) => p.join("."));
}

/** A validator of Kubernetes definitions by kubernetes-models' compiled schemas (offline). */
function kubernetesDefinition(fragment: string): (data: unknown) => ErrorObject[] {
  const [definition, ...rest] = fragment.split("/");
  const moduleName = definition
    .split(".")
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
  const candidates = ["kubernetes-models/_schemas", "@kubernetes-models/apimachinery/_schemas"].map((dir) =>
    path.join(PROJECT_ROOT, "node_modules", dir, `${moduleName}.js`),
  );
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new Error(`kubernetes-models has no schema for ${definition}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const validate = require(file).validate as ValidateFunction;
  if (rest.length === 0) return (data) => (validate(data) ? [] : [...(validate.errors ?? [])]);
  if (rest.length !== 2 || rest[0] !== "properties") throw new Error(`unsupported reference ${fragment}`);
  // A reference to one property: validate it inside its definition and keep that property's errors.
  const property = rest[1];
  return (data) =>
    validate({ [property]: data })
      ? []
      : (validate.errors ?? [])
          .filter((e) => e.instancePath === `/${property}` || e.instancePath.startsWith(`/${property}/`))
          .map((e) => ({ ...e, instancePath: e.instancePath.slice(property.length + 1) }));
}

/** Replaces references to Kubernetes definitions with a keyword that validates them offline. */
function localise(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(localise);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    const remote = key === "$ref" && typeof value === "string" ? K8S_DEFINITIONS.exec(value) : null;
    if (remote) out.kubernetesDefinition = remote[1];
    else out[key] = localise(value);
  }
  return out;
}

const compiled = new Map<string, ValidateFunction>();

/** Validates merged values against the chart's values.schema.json; returns readable errors. */
export function schemaErrors(values: JsonObject, files: ChartFiles): string[] {
  const validate = compiled.get(files.dir) ?? compileSchema(files);
  compiled.set(files.dir, validate);
  const merged = helmMerge(files.defaults, values);
  return validate(merged) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

function compileSchema(files: ChartFiles): ValidateFunction {
  const draft = String(files.schema.$schema ?? "");
  const ajv = draft.includes("2019-09")
    ? new Ajv2019({ allErrors: true, strict: false })
    : new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addKeyword({
    keyword: "kubernetesDefinition",
    schemaType: "string",
    errors: true,
    compile(fragment: string) {
      const check = kubernetesDefinition(fragment);
      const validate = (data: unknown, context?: { instancePath?: string }) => {
        const errors = check(data);
        (validate as unknown as { errors: Partial<ErrorObject>[] }).errors = errors.map((e) => ({
          keyword: "kubernetesDefinition",
          instancePath: `${context?.instancePath ?? ""}${e.instancePath}`,
          params: e.params,
          message: `${e.keyword} ${JSON.stringify(e.params)} (${fragment})`,
        }));
        return errors.length === 0;
      };
      return validate;
    },
  });
  return ajv.compile(localise(files.schema) as AnySchema);
}

import * as fs from "fs";
import * as path from "path";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import * as YAML from "js-yaml";

const compiled = new Map<string, ValidateFunction>();

/** A CRD schema file's validator, compiled once per test file. */
function compiledSchema(file: string): ValidateFunction {
  let validate = compiled.get(file);
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    // The OpenAPI formats our CRD schemas use, as the API server treats them (JSONSchemaProps.format in
    // the Kubernetes API reference: "Unknown formats are ignored. The following formats are validated",
    // byte and date-time among them, int32 and int64 not): checked, or known and let through.
    addFormats(ajv, ["date-time"]);
    ajv.addFormat("byte", /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
    ajv.addFormat("int32", { type: "number", validate: () => true });
    ajv.addFormat("int64", { type: "number", validate: () => true });
    validate = ajv.compile(JSON.parse(fs.readFileSync(file, "utf8")));
    compiled.set(file, validate);
  }
  return validate;
}

/**
 * Validates a Kubernetes object with kubernetes-models (the API's OpenAPI schemas): loads the
 * model for its apiVersion and kind and runs its validator; throws with the schema's message. A
 * custom resource validates against its CRD's schema in crds/<apiVersion>/<Kind>.json.
 */
export function validateKubernetesObject(object: { apiVersion: string; kind: string }): void {
  const modelPath = `kubernetes-models/${object.apiVersion}/${object.kind}`;
  let Model: new (data: object) => { validate(): void };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Model = require(modelPath)[object.kind];
  } catch {
    // A custom resource (e.g. monitoring.coreos.com/v1 PodMonitor): its CRD's schema, kept under crds/.
    const schema = path.join(__dirname, "crds", object.apiVersion, `${object.kind}.json`);
    if (!fs.existsSync(schema)) {
      throw new Error(`kubernetes-models has no model for ${object.apiVersion} ${object.kind}`);
    }
    const validate = compiledSchema(schema);
    const { apiVersion, kind } = object;
    if (!validate(object)) throw new Error(`${apiVersion} ${kind}: ${JSON.stringify(validate.errors)}`);
    return;
  }
  new Model(object).validate();
}

/** Every YAML file the plan wrote under .plan/<stack>/manifests, parsed. */
export function readManifests(dir: string): { file: string; object: { apiVersion: string; kind: string } }[] {
  const manifests = path.join(dir, "manifests");
  return fs
    .readdirSync(manifests)
    .filter((f) => f.endsWith(".yaml"))
    .map((file) => ({
      file,
      object: YAML.load(fs.readFileSync(path.join(manifests, file), "utf8")) as {
        apiVersion: string;
        kind: string;
      },
    }));
}

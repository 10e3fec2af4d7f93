import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";

/**
 * Validates a Kubernetes object with kubernetes-models (the API's OpenAPI schemas): loads the
 * model for its apiVersion and kind and runs its validator; throws with the schema's message.
 */
export function validateKubernetesObject(object: { apiVersion: string; kind: string }): void {
  const modelPath = `kubernetes-models/${object.apiVersion}/${object.kind}`;
  let Model: new (data: object) => { validate(): void };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Model = require(modelPath)[object.kind];
  } catch {
    throw new Error(`kubernetes-models has no model for ${object.apiVersion} ${object.kind}`);
  }
  new Model(object).validate();
}

/** Every YAML file the plan wrote under .plan/<stack>/manifests, parsed. */
export function readManifests(dir: string): { file: string; object: { apiVersion: string; kind: string } }[] {
  const manifests = path.join(dir, "manifests");
  return fs
    .readdirSync(manifests)
    .filter((f) => f.endsWith(".yaml"))
    .map((file) => ({ file, object: YAML.parse(fs.readFileSync(path.join(manifests, file), "utf8")) }));
}

import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { PROJECT_ROOT } from "../../tools/engine/stackConfig";

const SCHEMA_DIR = path.join(PROJECT_ROOT, "schemas", "pulumi");

/** One Ajv instance with Pulumi's four schemas, which reference each other by $id. */
export function pulumiSchemas() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  // Ajv does not resolve an `$anchor` declared on a schema's root (property-values.json names its
  // root "property_value"); "#" is that same root, so the reference is rewritten in memory only.
  const load = (file: string) =>
    JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), "utf8").split('"#property_value"').join('"#"'));
  for (const file of ["property-values.json", "resources.json", "deployments.json", "project.json"]) {
    ajv.addSchema(load(file));
  }
  const byFile = (file: string) => {
    const validate = ajv.getSchema(load(file).$id);
    if (!validate) throw new Error(`schema ${file} did not load`);
    return validate;
  };
  return { project: byFile("project.json"), deployment: byFile("deployments.json"), ajv };
}

import * as fs from "fs";
import * as path from "path";
import * as YAML from "js-yaml";
import { NAMESPACE } from "../settings";
import { configSchema } from "../settings/schema";
import { pulumiSchemas } from "./harness/schemas";
import { PROJECT_ROOT, stackNames } from "../tools/engine/stackConfig";

const readYaml = (file: string) => YAML.load(fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8")) as any;
const project = readYaml("Pulumi.yaml");

describe("Pulumi.yaml", () => {
  test("validates against Pulumi's project schema", () => {
    const { project: validate } = pulumiSchemas();
    const valid = validate(project);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test("the schema check is real: it rejects a config key of a type Pulumi does not know", () => {
    const { project: validate } = pulumiSchemas();
    const broken = {
      ...project,
      config: { ...project.config, replicas: { type: "number", description: "x" } },
    };
    expect(validate(broken)).toBe(false);
  });

  test("is a Node.js project whose name is the config namespace the program reads", () => {
    expect(project.runtime.name).toBe("nodejs");
    expect(project.name).toBe(NAMESPACE);
  });

  test("declares exactly the keys the settings schema knows, each with type and description", () => {
    expect(Object.keys(project.config).sort()).toEqual(Object.keys(configSchema.shape).sort());
    for (const [key, declaration] of Object.entries<Record<string, unknown>>(project.config)) {
      expect([key, typeof declaration.type, typeof declaration.description]).toEqual([
        key,
        "string",
        "string",
      ]);
    }
  });

  test("no stack file sets a key the project does not declare, and none holds a credential", () => {
    for (const stack of stackNames()) {
      const config = readYaml(`Pulumi.${stack}.yaml`).config as Record<string, unknown>;
      for (const key of Object.keys(config)) {
        expect(
          key.startsWith(`${NAMESPACE}:`) ? key.slice(NAMESPACE.length + 1) in project.config : key,
        ).toBe(true);
      }
      expect(JSON.stringify(config)).not.toMatch(/password|secret|token|apiKey|AKIA[0-9A-Z]{16}/i);
    }
  });
});

import * as fs from "fs";
import * as path from "path";
import type { ProgramRun, RegisteredResource } from "../engine/engine";
import { PROJECT_ROOT } from "../engine/stackConfig";
import { redactSecrets } from "./wire";

// The plan as a `pulumi stack export` document (deployment version 3), so that
// `pulumi policy analyze --file .plan/<stack>/state.json` can read it where a CLI exists.
// Resource policies get `inputs`; stack policies get `outputs` (inputs plus what the provider
// returned; in a preview, computed values are absent or unknown).

const PLUGINS = ["aws", "cloudflare", "docker", "kubernetes", "random"] as const;

function packageVersion(name: string): string {
  const file = path.join(PROJECT_ROOT, "node_modules", "@pulumi", name, "package.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

function resourceState(r: RegisteredResource): Record<string, unknown> {
  const state: Record<string, unknown> = {
    urn: r.urn,
    custom: r.custom,
    type: r.type,
    inputs: redactSecrets(r.inputs),
    outputs: redactSecrets(r.outputs),
    protect: r.protect,
  };
  if (r.id) state.id = r.id;
  if (r.parent) state.parent = r.parent;
  if (r.provider) state.provider = r.provider;
  if (r.dependencies.length) state.dependencies = r.dependencies;
  const propertyDependencies = Object.fromEntries(
    Object.entries(r.propertyDependencies).filter(([, urns]) => urns.length),
  );
  if (Object.keys(propertyDependencies).length) state.propertyDependencies = propertyDependencies;
  if (r.additionalSecretOutputs.length) state.additionalSecretOutputs = r.additionalSecretOutputs;
  return state;
}

/** The deployment document for a program run; resources in registration order (parents first). */
export function deploymentState(run: ProgramRun, time = new Date()): Record<string, unknown> {
  return {
    version: 3,
    deployment: {
      manifest: {
        time: time.toISOString(),
        magic: "healthflow-offline-plan",
        version: `@pulumi/pulumi ${packageVersion("pulumi")}`,
        plugins: PLUGINS.map((name) => ({ name, path: "", type: "resource", version: packageVersion(name) })),
      },
      resources: run.resources.map(resourceState),
    },
  };
}

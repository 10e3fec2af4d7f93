import { spawn, type ChildProcess } from "child_process";
import * as path from "path";
import * as readline from "readline";
import type { OfflineResource, OfflineViolation, NotEvaluatedPolicy } from "../../policies/offline";
import type { ReconciledPolicyConfig } from "../../policies/offline/policy-config";
import { PROJECT_ROOT } from "../../tools/engine/stackConfig";

// The policy pack as the Pulumi CLI runs it: its entry file (policies/index.ts) started as a process,
// which makes @pulumi/policy's own server.js listen on loopback and print its port, then driven over
// gRPC the way the engine drives an analyzer (pulumi/pulumi pkg/resource/deploy/step_generator.go):
// Configure with the reconciled policy config, ConfigureStack, then Remediate and Analyze for each
// resource with its inputs, and AnalyzeStack once with every resource's outputs. What it answers is
// the verdict tests compare with policies/offline (the runner the plan and the tests use), so that a
// @pulumi/policy release that changes what a rule sees fails a test.
//
// The messages are built with the protobuf classes @pulumi/pulumi ships (the ones server.js checks
// with instanceof), and @grpc/grpc-js from the same tree.

/* eslint-disable @typescript-eslint/no-require-imports */
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (module: string) => require(require.resolve(module, { paths: [pulumiDir] }));
const grpc = fromPulumi("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const proto = require("@pulumi/pulumi/proto/analyzer_pb");
const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

/** Keys the engine leaves out when it marshals properties for a plugin (resource.SkipInternalKeys). */
const internalKey = (key: string) => key.startsWith("__");

/** Properties as the engine puts them in a protobuf Struct: no internal keys, no undefined. */
function struct(props: Record<string, unknown>): unknown {
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map((element) => (element === undefined ? null : clean(element)));
    if (value && typeof value === "object")
      return Object.fromEntries(
        Object.entries(value)
          .filter(([key, element]) => !internalKey(key) && element !== undefined)
          .map(([key, element]) => [key, clean(element)]),
      );
    return value;
  };
  return Struct.fromJavaScript(clean(props));
}

const levelName = (level: number): OfflineViolation["enforcementLevel"] =>
  (
    ({ 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" }) as Record<
      number,
      OfflineViolation["enforcementLevel"]
    >
  )[level];
const severityName = (severity: number): string | undefined =>
  ({ 1: "low", 2: "medium", 3: "high", 4: "critical" })[severity];
const levelNumber = (level: string): number =>
  ({ advisory: 0, mandatory: 1, disabled: 2, remediate: 3 })[level] ?? 0;

interface Diagnostic {
  getPolicyname(): string;
  getMessage(): string;
  getEnforcementlevel(): number;
  getSeverity(): number;
  getUrn(): string;
}

type Call = (request: unknown, callback: (error: Error | null, response: unknown) => void) => void;

/** A running pack: its process and a client of its analyzer service. */
export interface PolicyServer {
  analyze(
    resources: OfflineResource[],
    config: Record<string, ReconciledPolicyConfig>,
  ): Promise<{ violations: OfflineViolation[]; notEvaluated: NotEvaluatedPolicy[] }>;
  stop(): void;
}

/** Starts policies/index.ts as the CLI does and connects to the port it prints. */
export async function startPolicyServer(): Promise<PolicyServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["-r", path.join(PROJECT_ROOT, "tools", "ts-hook.js"), path.join(PROJECT_ROOT, "policies", "index.ts")],
    { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) =>
      reject(new Error(`policies/index.ts exited (${code}) before listening:\n${stderr}`)),
    );
  });
  const client = new services.AnalyzerClient(`127.0.0.1:${port.trim()}`, grpc.credentials.createInsecure());
  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) =>
      (client[method].bind(client) as Call)(request, (error, response) =>
        error ? reject(error) : resolve(response as T),
      ),
    );

  const options = (resource: OfflineResource) => {
    const opts = new proto.AnalyzerResourceOptions();
    opts.setProtect(resource.protect ?? false);
    if (resource.parent) opts.setParent(resource.parent);
    return opts;
  };
  const providerOf = (resource: OfflineResource, byUrn: Map<string, OfflineResource>) => {
    const reference = resource.provider;
    const provider =
      reference && (byUrn.get(reference) ?? byUrn.get(reference.slice(0, reference.lastIndexOf("::"))));
    if (!provider) return undefined;
    const message = new proto.AnalyzerProviderResource();
    message.setType(provider.type);
    message.setUrn(provider.urn);
    message.setName(provider.name);
    // The provider's inputs, for resource and stack rules alike (step_generator.go).
    message.setProperties(struct(provider.props));
    return message;
  };

  return {
    async analyze(resources, config) {
      const configure = new proto.ConfigureAnalyzerRequest();
      for (const [name, policy] of Object.entries(config)) {
        const entry = new proto.PolicyConfig();
        entry.setEnforcementlevel(levelNumber(policy.enforcementLevel));
        entry.setProperties(struct(policy.properties ?? {}));
        configure.getPolicyconfigMap().set(name, entry);
      }
      await call("configure", configure);
      await call("configureStack", new proto.AnalyzerStackConfigureRequest());

      const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
      const violations: OfflineViolation[] = [];
      const notEvaluated: NotEvaluatedPolicy[] = [];
      const collect = (
        diagnostics: Diagnostic[],
        urnFor: (urn: string) => string | undefined,
        stack = false,
      ) => {
        for (const d of diagnostics) {
          const urn = urnFor(d.getUrn());
          // server.js reports a rule that met an unknown value as an advisory "can't run" diagnostic;
          // the CLI lists it as a note: under the resource for a resource rule, for the stack otherwise.
          if (d.getMessage().startsWith("can't run policy ")) {
            const where = stack ? {} : { urn };
            notEvaluated.push({ policyName: d.getPolicyname(), ...where, reason: d.getMessage() });
            continue;
          }
          const severity = severityName(d.getSeverity());
          violations.push({
            policyName: d.getPolicyname(),
            enforcementLevel: levelName(d.getEnforcementlevel()),
            ...(severity ? { severity } : {}),
            message: d.getMessage(),
            ...(urn ? { urn } : {}),
          });
        }
      };

      // The engine analyzes resources as it registers them, many at once; the answers are sorted later.
      await Promise.all(
        resources.map(async (resource) => {
          const request = new proto.AnalyzeRequest();
          request.setType(resource.type);
          request.setUrn(resource.urn);
          request.setName(resource.name);
          request.setProperties(struct(resource.props));
          request.setOptions(options(resource));
          const provider = providerOf(resource, byUrn);
          if (provider) request.setProvider(provider);
          // The engine asks for remediations first, then analyzes what they left.
          await call("remediate", request);
          const response = await call<{ getDiagnosticsList(): Diagnostic[] }>("analyze", request);
          // A resource rule's violation is filed under the resource itself.
          collect(response.getDiagnosticsList(), () => resource.urn);
        }),
      );

      const stackRequest = new proto.AnalyzeStackRequest();
      stackRequest.setResourcesList(
        resources.map((resource) => {
          const message = new proto.AnalyzerResource();
          message.setType(resource.type);
          message.setUrn(resource.urn);
          message.setName(resource.name);
          // What AnalyzeStack gets: the outputs (step_generator.go, AnalyzeResources).
          message.setProperties(struct(resource.outputs ?? resource.props));
          message.setOptions(options(resource));
          if (resource.parent) message.setParent(resource.parent);
          message.setDependenciesList(resource.dependencies ?? []);
          for (const [property, urns] of Object.entries(resource.propertyDependencies ?? {})) {
            const dependencies = new proto.AnalyzerPropertyDependencies();
            dependencies.setUrnsList(urns);
            message.getPropertydependenciesMap().set(property, dependencies);
          }
          const provider = providerOf(resource, byUrn);
          if (provider) message.setProvider(provider);
          return message;
        }),
      );
      const stackResponse = await call<{ getDiagnosticsList(): Diagnostic[] }>("analyzeStack", stackRequest);
      // The engine files a stack violation under the named resource if the stack has it, else the root stack.
      const root = resources.find((resource) => resource.type === "pulumi:pulumi:Stack")?.urn;
      collect(stackResponse.getDiagnosticsList(), (urn) => (urn && byUrn.has(urn) ? urn : root), true);
      return { violations, notEvaluated };
    },
    stop() {
      client.close();
      child.kill();
    },
  };
}

import * as fs from "fs";
import * as path from "path";
import {
  loadPolicyConfig,
  reconciledPolicyConfig,
  runPolicies,
  type NotEvaluatedPolicy,
  type OfflineResource,
  type OfflineViolation,
} from "../../policies/offline";
import { SECRET_SIG, SIG_KEY } from "../../tools/engine/engine";
import { stackNames } from "../../tools/engine/stackConfig";
import { policyConfigOfRun } from "../../tools/plan/policies";
import { plannedStack } from "../harness/plans";
import { startPolicyServer, type PolicyServer } from "../harness/policyServer";

// The offline runner (policies/offline) against the real runtime: @pulumi/policy's own server.js,
// started from the pack's entry file and driven over gRPC as the engine drives it
// (tests/harness/policyServer.ts). Both get the same resources, read from the plan's state.json (the
// `pulumi stack export` document a CLI could analyze), and the same reconciled config; their
// verdicts must be the same, violation for violation.

let server: PolicyServer;
beforeAll(async () => {
  server = await startPolicyServer();
}, 60_000);
afterAll(() => server?.stop());

/** A state.json secret (`plaintext`, JSON-encoded) as the engine sends it to an analyzer (`value`). */
function wire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wire);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG && typeof record.plaintext === "string")
      return { [SIG_KEY]: SECRET_SIG, value: JSON.parse(record.plaintext) };
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, wire(inner)]));
  }
  return value;
}

/** A resource of state.json: the analyzer's links, with `inputs` where the analyzer has `props`. */
type StateResource = Omit<OfflineResource, "name" | "props"> & { inputs?: Record<string, unknown> };

/** The stack's resources as its state.json holds them, inputs and outputs both. */
function stateResources(stack: string): OfflineResource[] {
  const state = JSON.parse(fs.readFileSync(path.join(plannedStack(stack).dir, "state.json"), "utf8")) as {
    deployment: { resources: StateResource[] };
  };
  return state.deployment.resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.urn.slice(r.urn.lastIndexOf("::") + 2),
    props: wire(r.inputs ?? {}) as Record<string, unknown>,
    outputs: wire(r.outputs ?? {}) as Record<string, unknown>,
    ...(r.parent ? { parent: r.parent } : {}),
    ...(r.provider ? { provider: r.provider } : {}),
    protect: r.protect ?? false,
    dependencies: r.dependencies ?? [],
    propertyDependencies: r.propertyDependencies ?? {},
  }));
}

const configOf = (stack: string) => loadPolicyConfig(policyConfigOfRun(plannedStack(stack).run));

const byKey = <T extends { policyName: string; urn?: string }>(list: T[]) =>
  [...list].sort((a, b) =>
    `${a.policyName} ${a.urn} ${JSON.stringify(a)}`.localeCompare(
      `${b.policyName} ${b.urn} ${JSON.stringify(b)}`,
    ),
  );

/** Both verdicts on the same resources and config. */
async function bothVerdicts(stack: string, resources: OfflineResource[]) {
  const config = configOf(stack);
  const offline = await runPolicies(resources, config);
  const real = await server.analyze(resources, reconciledPolicyConfig(config));
  return {
    offline: {
      violations: byKey<OfflineViolation>(offline.violations),
      notEvaluated: byKey<NotEvaluatedPolicy>(offline.notEvaluated),
    },
    real: { violations: byKey(real.violations), notEvaluated: byKey(real.notEvaluated) },
  };
}

/** `resources` with the props (and outputs) of every resource of `type` changed by `change`. */
function changed(
  resources: OfflineResource[],
  type: string,
  change: (props: Record<string, unknown>) => Record<string, unknown>,
): OfflineResource[] {
  let found = 0;
  const result = resources.map((r) => {
    if (r.type !== type) return r;
    found++;
    return {
      ...r,
      props: change(r.props),
      outputs: change(r.outputs ?? r.props),
    };
  });
  if (found === 0) throw new Error(`the plan has no ${type}`);
  return result;
}

describe("the offline policy runner gives the real policy server's verdicts", () => {
  test.each(stackNames())(
    "%s as planned",
    async (stack) => {
      const { offline, real } = await bothVerdicts(stack, stateResources(stack));
      expect(offline).toEqual(real);
      // The stacks as planned pass every mandatory rule (the plan's own gate says the same).
      expect(real.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    },
    60_000,
  );

  test("production broken where resource rules look (inputs) and where stack rules look (outputs)", async () => {
    let resources = stateResources("production");
    resources = changed(resources, "aws:rds/instance:Instance", (p) => ({ ...p, storageEncrypted: false }));
    resources = changed(resources, "aws:eks/cluster:Cluster", (p) => ({
      ...p,
      vpcConfig: { ...(p.vpcConfig as object), endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] },
    }));
    // The backup bucket as the program declares it, but Object Lock off in what AWS returned: only a
    // stack rule, which reads outputs, can see it (pulumi/pulumi step_generator.go AnalyzeResources).
    resources = resources.map((r) =>
      r.type === "aws:s3/bucket:Bucket" &&
      (r.props.tags as Record<string, unknown> | undefined)?.purpose === "backups"
        ? { ...r, outputs: { ...(r.outputs ?? r.props), objectLockEnabled: false } }
        : r,
    );
    const { offline, real } = await bothVerdicts("production", resources);
    expect(offline).toEqual(real);
    const mandatory = new Set(
      real.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName),
    );
    expect(mandatory).toEqual(
      new Set([
        "aws-rds-instance-storage-encrypted",
        "aws-eks-cluster-public-endpoint-restricted",
        "aws-s3-backup-bucket-object-lock",
      ]),
    );
  }, 60_000);
});

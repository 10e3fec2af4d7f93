import * as crypto from "crypto";
import * as path from "path";
import type * as pulumiType from "@pulumi/pulumi";
import { AWS_ANSWERS, InvokeAnswer, MOCK_ACCOUNT } from "./awsAnswers";
import { ConfigOverride, PROJECT_ROOT, readStackConfig, StackConfigValues, stackNames } from "./stackConfig";
import { startCloudflareApi } from "./cloudflareApi";
import { CLOUDFLARE_API_SLOT } from "../../components/edge/dnsToken";
import { useEksStandIn } from "./eksApi";

export { MOCK_ACCOUNT, MOCK_DEPLOYER, providerError } from "./awsAnswers";
export type { InvokeAnswer } from "./awsAnswers";

// Runs the real index.ts for one stack under Pulumi's mocks, as a preview, and records every
// resource registration the way the engine sees it: the serialized inputs (secrets and unknowns
// in Pulumi's wire encoding), parent, provider reference, protect, dependencies.

export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** The root stack resource's type: the parent of every top-level resource, absent from their URNs. */
const STACK_TYPE = "pulumi:pulumi:Stack";

/** One resource as the engine received it. */
export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  /** `urn::id` of the provider resource; absent for components and the stack. */
  provider?: string;
  protect: boolean;
  retainOnDelete: boolean;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  additionalSecretOutputs: string[];
  ignoreChanges: string[];
  /** The `deleteBeforeReplace` option when the program set it (absent: the provider decides). */
  deleteBeforeReplace?: boolean;
  /** The `replaceOnChanges` option: property paths whose change the engine makes a replacement. */
  replaceOnChanges: string[];
  /** The `customTimeouts` option, as the engine receives it (e.g. "20m"); absent when not set. */
  customTimeouts?: { create?: string; update?: string; delete?: string };
  /** Inputs in wire format: secrets as {SIG_KEY: SECRET_SIG, value}, unknowns as UNKNOWN. */
  inputs: Record<string, unknown>;
  /** Inputs plus what the (mock) provider returned, wire format; components: registered outputs. */
  outputs: Record<string, unknown>;
  id?: string;
}

export interface ProgramRun {
  stack: StackConfigValues;
  resources: RegisteredResource[];
  /** Stack outputs in wire format (secrets wrapped, unknowns as UNKNOWN). */
  outputs: Record<string, unknown>;
}

export interface RunOptions {
  /** Config keys to set (or remove, with null) on top of the stack file. */
  overrides?: Record<string, ConfigOverride>;
  /**
   * "unknown" (default): as in a real preview, what a provider computes is unknown.
   * "known": the mocks return plausible computed values (ids, generated passwords), as after an
   * update — used to prove generated secrets never leak in plain text.
   */
  computed?: "unknown" | "known";
  /** The program to run; the project's index.ts unless a test says otherwise. */
  program?: string;
  /** Where Pulumi.yaml and the stack files are; the project root unless a test says otherwise. */
  root?: string;
  /**
   * true (default): a preview (`pulumi preview`, and the preview step of `pulumi up`).
   * false: the update itself, where the settings refuse what a preview only warns about.
   */
  preview?: boolean;
  /** Provider functions answered otherwise for this run (another deployer, an account without a type). */
  invokes?: Record<string, InvokeAnswer>;
  /** Environment variables the program sees during this run only (HEALTHFLOW_BOOTSTRAP, say). */
  environment?: Record<string, string>;
}

/** Sets `variables` in the process environment; returns what puts the previous values back. */
function setEnvironment(variables: Record<string, string> = {}): () => void {
  const previous = Object.keys(variables).map((key) => [key, process.env[key]] as const);
  Object.assign(process.env, variables);
  return () => {
    for (const [key, value] of previous) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** The program threw; `cause` is what it threw, `resources` what it had registered by then. */
export class ProgramError extends Error {
  constructor(
    readonly cause: unknown,
    readonly resources: RegisteredResource[],
  ) {
    super((cause as Error)?.message ?? String(cause));
    this.name = "ProgramError";
  }
}

/**
 * `count` bytes standing for what @pulumi/random generates for one resource: the same in every run,
 * as the real value is from one update to the next (it lives in the state until the resource is
 * replaced), and different for each resource. So two runs differ only where their config does.
 */
function generated(resource: string, count: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 64 < count; i++)
    blocks.push(crypto.createHash("sha512").update(`${resource}\0${i}`).digest());
  return Buffer.concat(blocks).subarray(0, count);
}

/** What a provider computes at create time, for the resource types whose values matter in tests. */
function computedOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  pulumi: typeof pulumiType,
): Record<string, unknown> {
  switch (type) {
    case "random:index/randomPassword:RandomPassword": {
      const length = Number(inputs.length ?? 16);
      const result = generated(`${type}:${name}`, length).toString("base64url").slice(0, length);
      return { result: pulumi.secret(result), bcryptHash: pulumi.secret(`$2a$10$${result}`) };
    }
    case "random:index/randomId:RandomId": {
      const bytes = generated(`${type}:${name}`, Number(inputs.byteLength ?? 8));
      return {
        hex: bytes.toString("hex"),
        b64Std: bytes.toString("base64"),
        b64Url: bytes.toString("base64url"),
        dec: BigInt(`0x${bytes.toString("hex")}`).toString(),
      };
    }
    case "aws:eks/cluster:Cluster":
      return {
        arn: `arn:aws:eks:sa-east-1:${MOCK_ACCOUNT}:cluster/${name}`,
        endpoint: `https://${crypto.createHash("md5").update(name).digest("hex").toUpperCase()}.gr7.sa-east-1.eks.amazonaws.com`,
        certificateAuthority: { data: Buffer.from(`mock CA for ${name}`).toString("base64") },
        vpcConfig: {
          ...(inputs.vpcConfig as object),
          clusterSecurityGroupId: `sg-0${crypto.createHash("md5").update(name).digest("hex").slice(0, 16)}`,
          vpcId: "vpc-0mock",
        },
        identities: [
          { oidcs: [{ issuer: `https://oidc.eks.sa-east-1.amazonaws.com/id/${name.toUpperCase()}` }] },
        ],
      };
    case "aws:rds/instance:Instance": {
      // RDS names an instance's host after its identifier, lower-cased, under one suffix per
      // account and region (Amazon RDS User Guide, "Amazon RDS DB instances").
      const identifier = String(inputs.identifier ?? name).toLowerCase();
      return {
        address: `${identifier}.c0mockabcdef.sa-east-1.rds.amazonaws.com`,
        arn: `arn:aws:rds:sa-east-1:${MOCK_ACCOUNT}:db:${identifier}`,
        identifier,
      };
    }
    case "aws:elasticache/replicationGroup:ReplicationGroup":
      return { primaryEndpointAddress: `master.${name}.mock.sae1.cache.amazonaws.com` };
    case "kubernetes:core/v1:Service": {
      // Declared as LoadBalancer, or read back by name (no spec): AWS gave it an NLB's DNS name.
      const spec = inputs.spec as { type?: string } | undefined;
      if (spec && spec.type !== "LoadBalancer") return {};
      const hash = crypto.createHash("md5").update(name).digest("hex").slice(0, 16);
      return {
        status: { loadBalancer: { ingress: [{ hostname: `${name}-${hash}.elb.sa-east-1.amazonaws.com` }] } },
      };
    }
    // A Helm release after an update: the objects it installed (opaque here).
    case "kubernetes:helm.sh/v4:Chart":
      return { resources: [] };
    // @pulumi/tls: PEM-shaped stand-ins, the private keys secret as the provider marks them.
    case "tls:index/privateKey:PrivateKey": {
      const body = generated(`${type}:${name}`, 96).toString("base64");
      return {
        privateKeyPem: pulumi.secret(
          `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----\n`,
        ),
        privateKeyPemPkcs8: pulumi.secret(
          `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
        ),
        publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${body.slice(0, 64)}\n-----END PUBLIC KEY-----\n`,
      };
    }
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return {
        certPem: `-----BEGIN CERTIFICATE-----\n${generated(`${type}:${name}`, 96).toString("base64")}\n-----END CERTIFICATE-----\n`,
      };
    case "tls:index/certRequest:CertRequest":
      return {
        certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${generated(`${type}:${name}`, 64).toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`,
      };
    case "docker:index/remoteImage:RemoteImage":
      return { imageId: `sha256:${crypto.createHash("sha256").update(name).digest("hex")}` };
    default:
      return {};
  }
}

/**
 * Computed fields nested inside input objects, which a provider's preview of a create returns as
 * unknown (the engine marks top-level outputs the provider did not return unknown by itself; a
 * nested one would otherwise read as absent). Wire format, merged over the inputs.
 */
const PREVIEW_UNKNOWNS: Record<string, Record<string, unknown>> = {
  "aws:eks/cluster:Cluster": { vpcConfig: { clusterSecurityGroupId: UNKNOWN, vpcId: UNKNOWN } },
};

/** `base` with `extra` merged in, objects recursively. */
function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] =
      current && typeof current === "object" && !Array.isArray(current) && value && typeof value === "object"
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return merged;
}

/** A preview's state of a create: the inputs, plus the nested fields the provider leaves unknown. */
function previewState(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const unknowns = PREVIEW_UNKNOWNS[type];
  return unknowns ? deepMerge(inputs, unknowns) : inputs;
}

/** Answers of the provider functions the program calls, as a real account would give them. */
export const INVOKE_ANSWERS: Record<string, InvokeAnswer> = {
  ...AWS_ANSWERS,
  // A zone on the Pro plan, found by the name the filter asks for; its id is stable per name.
  "cloudflare:index/getZone:getZone": (inputs) => {
    const name = String((inputs.filter as { name?: string } | undefined)?.name ?? "example.com");
    const id = crypto.createHash("md5").update(`zone:${name}`).digest("hex");
    return {
      id,
      zoneId: id,
      name,
      status: "active",
      type: "full",
      paused: false,
      plan: {
        id: "94f3b7b768b0458b56d2cac4fe5ec0f9",
        legacyId: "pro",
        name: "Pro Website",
        isSubscribed: true,
      },
      account: { id: "023e105f4ecef8ad9ca31a8372d0c353", name: "HealthFlow" },
      nameServers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
    };
  },
  // A zone's rulesets as GET /zones/{id}/rulesets lists them: the managed rulesets it may deploy, and no
  // entry point yet (a zone nobody has added a rule to).
  "cloudflare:index/getRulesets:getRulesets": (inputs) => {
    const rulesets = [
      {
        id: "efb7b8c949ac4650a09736fc376e9aee",
        kind: "managed",
        phase: "http_request_firewall_managed",
        name: "Cloudflare Managed Ruleset",
        description:
          "Created by the Cloudflare security team, this ruleset is designed to provide fast and effective protection for all your applications.",
        lastUpdated: "2026-11-30T18:00:00Z",
        version: "110",
      },
      {
        id: "4814384a9e5d4991b9815dcfc25d2f1f",
        kind: "managed",
        phase: "http_request_firewall_managed",
        name: "Cloudflare OWASP Core Ruleset",
        description:
          "Cloudflare's implementation of the Open Web Application Security Project (OWASP) ModSecurity Core Rule Set.",
        lastUpdated: "2026-11-30T18:00:00Z",
        version: "57",
      },
    ];
    // `results` is the deprecated twin of `rulesets`; provider v5 fills both.
    return { id: String(inputs.zoneId), zoneId: inputs.zoneId, rulesets, results: rulesets };
  },
  // Cloudflare's published ranges (https://www.cloudflare.com/ips/).
  "cloudflare:index/getIpRanges:getIpRanges": () => ({
    etag: "mock-etag",
    ipv4Cidrs: [
      "173.245.48.0/20",
      "103.21.244.0/22",
      "103.22.200.0/22",
      "103.31.4.0/22",
      "141.101.64.0/18",
      "108.162.192.0/18",
      "190.93.240.0/20",
      "188.114.96.0/20",
      "197.234.240.0/22",
      "198.41.128.0/17",
      "162.158.0.0/15",
      "104.16.0.0/13",
      "104.24.0.0/14",
      "172.64.0.0/13",
      "131.0.72.0/22",
    ],
    ipv6Cidrs: [
      "2400:cb00::/32",
      "2606:4700::/32",
      "2803:f800::/32",
      "2405:b500::/32",
      "2405:8100::/32",
      "2a06:98c0::/29",
      "2c0f:f248::/32",
    ],
    jdcloudCidrs: [],
  }),
};

function mocks(
  pulumi: typeof pulumiType,
  computed: "unknown" | "known",
  answers: Record<string, InvokeAnswer>,
): pulumiType.runtime.Mocks {
  return {
    newResource(args) {
      if (computed === "unknown") return { id: undefined, state: args.inputs };
      return {
        id: `${args.name}-id`,
        state: { ...args.inputs, ...computedOutputs(args.type, args.name, args.inputs, pulumi) },
      };
    },
    call(args) {
      // Provider functions run for real in a preview too, so each one the program calls has a
      // plausible answer here; an unanswered one fails loudly rather than yielding undefined.
      const answer = answers[args.token];
      if (!answer)
        throw new Error(`the mock harness has no answer for ${args.token}; add one to INVOKE_ANSWERS`);
      return answer(args.inputs);
    },
  };
}

type Callback = (err: unknown, response: unknown) => void;
interface Req {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getRemote(): boolean;
  getProtect(): boolean;
  getRetainondelete?(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
  getAdditionalsecretoutputsList(): string[];
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}

/** The SDK's MockMonitor, which the recording monitor extends (not in the SDK's typings). */
type MockMonitorClass = new (mocks: pulumiType.runtime.Mocks) => {
  resources: Map<string, unknown>;
  newUrn(parent: string, type: string, name: string): string;
  registerResourceOutputs(req: unknown, callback: Callback): void;
};

/** The resource's customTimeouts option, when the program set one (empty strings are "not set"). */
function customTimeouts(req: Req): Pick<RegisteredResource, "customTimeouts"> {
  const timeouts = req.getCustomtimeouts();
  if (!timeouts) return {};
  const set = Object.entries({
    create: timeouts.getCreate(),
    update: timeouts.getUpdate(),
    delete: timeouts.getDelete(),
  }).filter(([, value]) => value !== "");
  return set.length ? { customTimeouts: Object.fromEntries(set) } : {};
}

/** Marks as secret the outputs the engine would: secret inputs, and additionalSecretOutputs. */
function engineSecrets(inputs: Record<string, unknown>, state: Record<string, unknown>, extra: string[]) {
  const out = { ...state };
  for (const key of Object.keys(out)) {
    const input = inputs[key] as Record<string, unknown> | undefined;
    const secretInput = input && typeof input === "object" && input[SIG_KEY] === SECRET_SIG;
    const isWrapped = (out[key] as Record<string, unknown> | undefined)?.[SIG_KEY] === SECRET_SIG;
    if ((secretInput || extra.includes(key)) && !isWrapped)
      out[key] = { [SIG_KEY]: SECRET_SIG, value: out[key] };
  }
  return out;
}

/**
 * Runs the program for `stackName` and returns what it registered. Throws what the program
 * throws (a ConfigError for bad config) after the runtime has settled.
 */
/**
 * The Cloudflare API stand-in the program's own calls reach under the engine (one per process): a
 * token sees exactly the stacks' ACME challenge zones, as the docs scope it (docs/edge.md).
 */
let cloudflareApi: Promise<string> | undefined;
function cloudflareStandIn(root?: string): Promise<string> {
  cloudflareApi ??= (async () => {
    const challengeZones = new Set(
      stackNames(root).flatMap((name) => {
        const dns = readStackConfig(name, {}, root).config["healthflow:dns"];
        const zone = dns ? JSON.parse(dns).cloudflare?.acmeChallengeZone : undefined;
        return zone ? [zone] : [];
      }),
    );
    // A token named unscoped-… stands for one made with more than its scope: it sees every zone.
    return (
      await startCloudflareApi((token, zone) => token.startsWith("unscoped-") || challengeZones.has(zone))
    ).url;
  })();
  return cloudflareApi;
}

export async function runProgram(stackName: string, options: RunOptions = {}): Promise<ProgramRun> {
  const stack = readStackConfig(stackName, options.overrides, options.root);
  // Started at once, not awaited here: the program awaits it when it first calls Cloudflare itself.
  (globalThis as Record<symbol, unknown>)[CLOUDFLARE_API_SLOT] = cloudflareStandIn(options.root);
  // And EKS's DescribeAddonVersions, which the preflight asks through the AWS SDK (tools/engine/eksApi.ts).
  useEksStandIn();
  // A fresh runtime per run: Pulumi keeps its state on a global, and under jest each run also
  // gets a fresh module registry so index.ts executes again.
  delete (global as { globalStore?: unknown }).globalStore;
  // Each fresh copy of the SDK adds its own process exit hooks; many runs in one process are expected here.
  process.setMaxListeners(Math.max(process.getMaxListeners(), 100));
  const program = options.program ?? path.join(PROJECT_ROOT, "index.ts");
  if (typeof jest !== "undefined") jest.resetModules();
  // The program's modules hold no state of their own; only a program that already ran in this
  // process needs a fresh copy (the modules the tools loaded before it are shared, not loaded twice).
  else if (require.cache[require.resolve(program)]) forgetProjectModules();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi: typeof pulumiType = require("@pulumi/pulumi");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: MockMonitorClass };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const resproto = require("@pulumi/pulumi/proto/resource_pb");

  const resources = new Map<string, RegisteredResource>();
  const computed = options.computed ?? "unknown";
  const theMocks = mocks(pulumi, computed, { ...INVOKE_ANSWERS, ...options.invokes });
  const preview = options.preview ?? true;

  class RecordingMonitor extends MockMonitor {
    /**
     * A resource's URN as the engine makes it (pulumi/pulumi sdk/go/common/resource/urn.go, NewURN:
     * the parent's whole qualified type, and none when the parent is the root stack). The SDK's
     * MockMonitor keeps only the parent's last type and prefixes `pulumi:pulumi:Stack$` to top-level
     * resources, which no real stack has (and `--target` globs, docs/deploying.md, match real URNs).
     */
    newUrn(parent: string, type: string, name: string): string {
      const parentType = parent ? parent.split("::")[2] : "";
      const qualified = parentType && parentType !== STACK_TYPE ? `${parentType}$${type}` : type;
      return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
    }

    /** What the mocks say a provider returns for this resource, in wire format. */
    async computedState(record: Pick<RegisteredResource, "type" | "name" | "provider" | "custom">, req: Req) {
      const result = await theMocks.newResource({
        type: record.type,
        name: record.name,
        inputs: pulumi.runtime.deserializeProperties(req.getObject() as never),
        provider: record.provider,
        custom: record.custom,
      });
      return { id: result.id, serialized: await pulumi.runtime.serializeProperties("", result.state) };
    }

    async registerResource(req: Req, callback: Callback) {
      const inputs = req.getObject()?.toJavaScript() ?? {};
      const propertyDependencies: Record<string, string[]> = {};
      req.getPropertydependenciesMap().forEach((value, key) => {
        propertyDependencies[key] = value.getUrnsList();
      });
      const record: Omit<RegisteredResource, "urn" | "outputs"> = {
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        parent: req.getParent() || undefined,
        provider: req.getProvider() || undefined,
        protect: req.getProtect(),
        retainOnDelete: req.getRetainondelete?.() ?? false,
        dependencies: req.getDependenciesList(),
        propertyDependencies,
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        ignoreChanges: req.getIgnorechangesList(),
        replaceOnChanges: req.getReplaceonchangesList(),
        ...(req.getDeletebeforereplacedefined() ? { deleteBeforeReplace: req.getDeletebeforereplace() } : {}),
        ...customTimeouts(req),
        inputs,
      };
      try {
        // In a preview a provider computes nothing: the state is the inputs as the engine received
        // them (the mocks' newResource would return them unchanged, and serializing their
        // deserialized form yields the same wire value), so the round trip is skipped, plus the
        // nested computed fields a preview leaves unknown. After an update the mocks add what
        // providers compute.
        const result =
          computed === "unknown"
            ? { id: undefined, serialized: previewState(record.type, inputs) }
            : await this.computedState(record, req);
        const state = engineSecrets(inputs, result.serialized, record.additionalSecretOutputs);
        const urn = this.newUrn(req.getParent(), record.type, record.name);
        this.resources.set(urn, { urn, id: result.id ?? null, state });
        // A remote component (a Helm Chart v4) is built by its provider, which returns its outputs.
        const providerBuilt = record.custom || req.getRemote();
        resources.set(urn, { ...record, urn, id: result.id, outputs: providerBuilt ? state : {} });
        // The SDK reads the response through these getters only (runtime/resource.js builds the same
        // shape itself when no engine is attached, and reads the state with toJavaScript()), so the
        // state goes back as the plain object it is rather than round-tripping through a protobuf
        // Struct; deserializing it builds new objects, so the program never shares ours.
        const response = {
          getUrn: () => urn,
          getId: () => result.id ?? "",
          getObject: () => ({ toJavaScript: () => state }),
          getPropertydependenciesMap: () => undefined,
          getResult: () => resproto.Result.SUCCESS,
          getUnknown: () => false,
        };
        callback(null, response);
      } catch (err) {
        callback(err, undefined);
      }
    }

    registerResourceOutputs(req: Req, callback: Callback) {
      const entry = resources.get(req.getUrn());
      if (entry) entry.outputs = req.getOutputs()?.toJavaScript() ?? {};
      return super.registerResourceOutputs(req, callback);
    }
  }

  await pulumi.runtime.setMocks(theMocks, stack.project, stack.stack, preview);
  pulumi.runtime.setMockOptions(new RecordingMonitor(theMocks), stack.project, stack.stack, preview);
  pulumi.runtime.setAllConfig(stack.config, stack.secretKeys);

  let failure: unknown;
  let exported: Record<string, unknown> = {};
  // The language host reports what the program throws (a RunError as its bare message); here it
  // is caught inside the stack's init so the runtime settles cleanly, then rethrown below.
  const restoreEnvironment = setEnvironment(options.environment);
  await pulumi.runtime.runInPulumiStack(async () => {
    try {
      // As the Node.js language host does: a module that exports a function is the program's
      // entry point, and what it resolves to are the stack outputs.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const entry: unknown = require(program);
      exported =
        typeof entry === "function"
          ? ((await entry()) as Record<string, unknown>)
          : { ...(entry as Record<string, unknown>) };
    } catch (e) {
      failure = e;
    }
    return exported;
  });
  const runtime = pulumi.runtime as unknown as { waitForRPCs(): Promise<void> };
  await runtime.waitForRPCs().finally(restoreEnvironment);
  if (failure !== undefined) throw new ProgramError(failure, [...resources.values()]);

  const serializedOutputs = await pulumi.runtime.serializeProperties("outputs", exported);
  const root = [...resources.values()].find((r) => r.type === STACK_TYPE);
  if (root) root.outputs = serializedOutputs;
  return { stack, resources: [...resources.values()], outputs: serializedOutputs };
}

/** Outside jest: drop the project's own modules from node's cache so index.ts runs again. */
function forgetProjectModules() {
  const ownModules = Object.keys(require.cache).filter(
    (file) =>
      file.startsWith(PROJECT_ROOT + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`),
  );
  for (const file of ownModules) delete require.cache[file];
}

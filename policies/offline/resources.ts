/**
 * Resources as the analyzer's gRPC requests carry them, rebuilt without gRPC: the engine's marshalling
 * (what survives into a protobuf Struct), @pulumi/policy's deserializer and unknown-checking proxy, resource
 * options, the provider, and for stack policies the parent/dependency links (server.js does the same).
 */
import { unknownCheckingProxy } from "@pulumi/policy";
import type { PolicyProviderResource, PolicyResource, PolicyResourceOptions } from "@pulumi/policy";
import { deserializeProperties, getPulumiType } from "../lib/policy-runtime";

/** A resource as the engine hands it to the analyzer (see OfflineResource in ../offline.ts). */
export interface AnalyzedResource {
  urn: string;
  type: string;
  name: string;
  /** Inputs (what resource rules get) in wire format: secrets as {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value}, unknowns as "04da6b54-80e4-46f7-96ec-b56ff0331ba9". */
  props: Record<string, unknown>;
  /**
   * What stack rules get: the resource's outputs (inputs plus what the provider returned; a
   * component's registered outputs), in the same format. The engine hands AnalyzeStack `v.Outputs`
   * where Analyze gets the inputs (pulumi/pulumi pkg/resource/deploy/step_generator.go,
   * AnalyzeResources: "Unlike Analyze, AnalyzeStack is called on the final outputs of each
   * resource"). A fixture that gives none states one set of properties for both.
   */
  outputs?: Record<string, unknown>;
  parent?: string;
  provider?: string;
  protect?: boolean;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

/**
 * What survives the engine's marshalling into a protobuf Struct: internal "__" keys are dropped (SkipInternalKeys),
 * an undefined property does not exist, an undefined array element becomes null.
 */
function asWireStruct(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((element) => (element === undefined ? null : asWireStruct(element)));
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, element]) => !key.startsWith("__") && element !== undefined)
        .map(([key, element]) => [key, asWireStruct(element)]),
    );
  }
  return value;
}

/** A resource's properties as the request's Struct holds them: made once per resource, as the engine sends them once. */
const wireStructs = new WeakMap<Record<string, unknown>, Record<string, unknown>>();

function wireStructOf(props: Record<string, unknown>): Record<string, unknown> {
  let struct = wireStructs.get(props);
  if (!struct) {
    struct = asWireStruct(props) as Record<string, unknown>;
    wireStructs.set(props, struct);
  }
  return struct;
}

/**
 * Deserialized and proxied exactly as server.js does for each validation call: every validation gets its own
 * copy (deserializeProperties builds new objects), so one rule can never see another's changes.
 */
export function analyzerProps(props: Record<string, unknown>): Record<string, unknown> {
  const struct = { toJavaScript: () => wireStructOf(props) };
  return unknownCheckingProxy(deserializeProperties(struct, false));
}

/** What a `props` property made when first read keeps (out of sight of spreads and `Object.keys`). */
const LAZY = Symbol("props, made when first read");
interface LazyState {
  wire: Record<string, unknown>;
  /** The copy the validation call was given (server.js's `props`). */
  made?: Record<string, unknown>;
  /** What the rule assigned to `props`, if it did. */
  assigned?: { value: unknown };
}
type Lazy = { [LAZY]: LazyState };

/** The copy of the properties a validation call was given, made now if no one read it yet. */
export function madeProps(target: object): Record<string, unknown> {
  const state = (target as Lazy)[LAZY];
  return (state.made ??= analyzerProps(state.wire));
}

// One getter and one setter for every object: V8 then shares one hidden class among them, where a
// pair of closures per object would give each its own (several times slower, on Node 24 most).
const lazyProps: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: Lazy) {
    const { assigned } = this[LAZY];
    return assigned ? assigned.value : madeProps(this);
  },
  set(this: Lazy, value: unknown) {
    this[LAZY].assigned = { value };
  },
};

/**
 * `target` with a `props` property holding analyzerProps(wire), made when a rule first reads it and kept
 * from then on: each validation call still gets its own copy, as from server.js, while the many calls that
 * look only at the type (and every provider no rule reads) cost nothing. A rule may assign it, as to a
 * plain property; `asType` still hands out the copy the call was given (madeProps), as server.js's does.
 */
export function withProps<T extends object>(
  target: T,
  wire: Record<string, unknown>,
): T & { props: Record<string, unknown> } {
  Object.defineProperty(target, LAZY, { value: { wire } satisfies LazyState });
  return Object.defineProperty(target, "props", lazyProps) as T & { props: Record<string, unknown> };
}

export function resourceOptions(resource: AnalyzedResource): PolicyResourceOptions {
  const options: PolicyResourceOptions = {
    protect: resource.protect ?? false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
  if (resource.parent) options.parent = resource.parent;
  return options;
}

/** The resource's provider, if the list holds it. References are "<provider urn>::<provider id>"; a bare URN is accepted too. */
export function providerResource(
  resource: AnalyzedResource,
  byUrn: Map<string, AnalyzedResource>,
): AnalyzedResource | undefined {
  const reference = resource.provider;
  if (!reference) {
    return undefined;
  }
  return byUrn.get(reference) ?? byUrn.get(reference.slice(0, reference.lastIndexOf("::")));
}

/** A provider as a rule sees it (its props its own copy, made when first read). */
export function policyProvider(provider: AnalyzedResource): PolicyProviderResource {
  return withProps({ type: provider.type, urn: provider.urn, name: provider.name }, provider.props);
}

export function isTypeOf(type: string, resourceClass: unknown): boolean {
  const pulumiType = getPulumiType(resourceClass);
  if (pulumiType) {
    return type === pulumiType;
  }
  const isInstance = (resourceClass as { isInstance?: (obj: unknown) => boolean }).isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

/**
 * The stack's resources as a stack rule receives them, linked to their parents and dependencies: what links
 * to what is worked out once, and each call of the returned function builds fresh objects (server.js builds
 * them for each stack policy). As server.js does, references to resources outside the list are dropped.
 */
export function stackResourcesBuilder(resources: AnalyzedResource[]): () => PolicyResource[] {
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const index = new Map(resources.map((resource, i) => [resource.urn, i]));
  const known = (urns: string[] = []) =>
    urns.map((urn) => index.get(urn)).filter((i): i is number => i !== undefined);
  const links = resources.map((resource) => ({
    provider: providerResource(resource, byUrn),
    parent: resource.parent === undefined ? undefined : index.get(resource.parent),
    dependencies: known(resource.dependencies),
    propertyDependencies: Object.entries(resource.propertyDependencies ?? {}).map(
      ([property, urns]) => [property, known(urns)] as const,
    ),
  }));
  return () => {
    const built = resources.map((resource, i) => {
      const policyResource: PolicyResource = withProps(
        {
          type: resource.type,
          urn: resource.urn,
          name: resource.name,
          opts: resourceOptions(resource),
          dependencies: [],
          propertyDependencies: {},
          isType: (resourceClass: unknown) => isTypeOf(resource.type, resourceClass),
          asType: ((resourceClass: unknown) =>
            isTypeOf(resource.type, resourceClass)
              ? madeProps(policyResource)
              : undefined) as PolicyResource["asType"],
        },
        resource.outputs ?? resource.props,
      );
      const provider = links[i].provider;
      if (provider) policyResource.provider = policyProvider(provider);
      return policyResource;
    });
    built.forEach((target, i) => {
      const { parent, dependencies, propertyDependencies } = links[i];
      if (parent !== undefined) target.parent = built[parent];
      target.dependencies = dependencies.map((j) => built[j]);
      for (const [property, js] of propertyDependencies) {
        target.propertyDependencies[property] = js.map((j) => built[j]);
      }
    });
    return built;
  };
}

/**
 * The offline runner must judge a stack as `pulumi preview --policy-pack` would. These tests pin the
 * analyzer semantics it reproduces, with probe policies where the exact arguments matter and with the
 * pack's real rules end to end.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type {
  EnforcementLevel,
  Policy,
  ResourceValidationArgs,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { validateStackResourcesOfType } from "@pulumi/policy";
import { analyze, type AnalyzedResource } from "../../policies/offline/analyzer";
import { isTypeOf } from "../../policies/offline/resources";
import {
  compileValidator,
  parsePolicyPackConfig,
  reconcilePolicyPackConfig,
} from "../../policies/offline/policy-config";
import {
  formatViolations,
  loadPolicyConfig,
  policyConfigName,
  PolicyConfigError,
  policyPack,
  runPolicies,
} from "../../policies/offline";
import { policies } from "../../policies/rules";
import {
  compliantContainer,
  compliantPodSpec,
  deployment,
  resource,
  rootStack,
  secret,
  UNKNOWN,
  urnOf,
} from "./fixtures";

const pack = { name: "probe-pack", version: "1.0.0", enforcementLevel: "advisory" as EnforcementLevel };

/** Runs probe policies through the analyzer with a config document, as the CLI would hand it over. */
async function analyzeWith(probes: Policy[], resources: AnalyzedResource[], document: unknown = {}) {
  const { parsed, errors: parseErrors } = parsePolicyPackConfig(document);
  const { config, errors } = reconcilePolicyPackConfig(probes, pack.enforcementLevel, parsed);
  expect([...parseErrors, ...errors]).toEqual([]);
  return analyze(resources, probes, config, pack);
}

function probe(name: string, seen: ResourceValidationArgs[], extra: Partial<Policy> = {}): Policy {
  return {
    name,
    description: `Probe ${name}.`,
    enforcementLevel: "mandatory",
    ...extra,
    validateResource: (args: ResourceValidationArgs, report: (message: string) => void) => {
      seen.push(args);
      report("Fix the probe.");
    },
  } as Policy;
}

const bucketResource = resource(aws.s3.Bucket, "uploads", { bucket: "uploads" });

describe("isTypeOf, as server.js's isTypeOf", () => {
  it("compares a class's __pulumiType, and otherwise asks its isInstance with that type", () => {
    expect([
      isTypeOf("aws:s3/bucket:Bucket", aws.s3.Bucket),
      isTypeOf("aws:s3/bucket:Bucket", aws.s3.BucketPolicy),
    ]).toEqual([true, false]);
    // A class without __pulumiType (server.js: "fallback to using isInstance, if it's available").
    const legacy = { isInstance: (o: any) => o?.__pulumiType === "aws:s3/bucket:Bucket" };
    expect([
      isTypeOf("aws:s3/bucket:Bucket", legacy),
      isTypeOf("aws:s3/bucketPolicy:BucketPolicy", legacy),
    ]).toEqual([true, false]);
    // isInstance must say true itself, not something truthy; and a class with neither matches nothing.
    expect(isTypeOf("aws:s3/bucket:Bucket", { isInstance: () => "yes" })).toBe(false);
    expect(isTypeOf("aws:s3/bucket:Bucket", {})).toBe(false);
  });
});

describe("what a rule receives", () => {
  it("sees secrets unwrapped to their plain values, nested ones included", async () => {
    const seen: ResourceValidationArgs[] = [];
    const props = { password: secret("s3cr3t"), nested: { list: [secret({ token: "t" })] } };
    await analyzeWith([probe("p", seen)], [resource(aws.rds.Instance, "db", props)]);
    expect(seen[0].props.password).toBe("s3cr3t");
    expect(seen[0].props.nested.list[0].token).toBe("t");
  });

  it("does not see internal keys or undefined properties, which never cross the wire", async () => {
    const seen: ResourceValidationArgs[] = [];
    await analyzeWith(
      [probe("p", seen)],
      [resource(aws.s3.Bucket, "b", { __defaults: ["bucket"], bucket: "b", acl: undefined })],
    );
    expect(Object.keys(seen[0].props)).toEqual(["bucket"]);
  });

  it("gets its configSchema defaults merged with the stack's values from getConfig", async () => {
    const seen: ResourceValidationArgs[] = [];
    const configSchema = {
      properties: {
        limit: { type: "number" as const, default: 4 },
        names: { type: "array" as const, default: ["a"] },
      },
    };
    await analyzeWith([probe("p", seen, { configSchema })], [bucketResource], { p: { limit: 8 } });
    expect(seen[0].getConfig()).toEqual({ limit: 8, names: ["a"] });
  });

  it("gets its resource's provider with deserialized properties, and isType/asType by type token", async () => {
    const seen: ResourceValidationArgs[] = [];
    const provider: AnalyzedResource = {
      urn: urnOf("pulumi:providers:kubernetes", "eks"),
      type: "pulumi:providers:kubernetes",
      name: "eks",
      props: { namespace: "healthflow", kubeconfig: secret("{}") },
    };
    const api = { ...deployment("api"), provider: `${provider.urn}::provider-id`, protect: true };
    await analyzeWith([probe("p", seen)], [provider, api]);
    const args = seen.find((a) => a.urn === api.urn) as ResourceValidationArgs;
    expect(args.provider).toEqual(
      expect.objectContaining({ urn: provider.urn, type: "pulumi:providers:kubernetes" }),
    );
    expect(args.provider?.props.kubeconfig).toBe("{}");
    expect(args.opts.protect).toBe(true);
    expect(args.isType(k8s.apps.v1.Deployment)).toBe(true);
    expect(args.asType(k8s.apps.v1.StatefulSet)).toBeUndefined();
    expect(args.asType(k8s.apps.v1.Deployment)?.metadata?.name).toBe("api");
  });

  it("links stack resources to parents, dependencies and property dependencies, dropping unknown URNs", async () => {
    let stack: StackValidationArgs | undefined;
    const stackProbe = {
      name: "s",
      description: "Stack probe.",
      validateStack: (args: StackValidationArgs) => {
        stack = args;
      },
    } as Policy;
    const child = {
      ...resource(aws.s3.BucketVersioning, "v", { bucket: UNKNOWN }),
      parent: bucketResource.urn,
      dependencies: [bucketResource.urn, "urn:pulumi:production::x::y::gone"],
      propertyDependencies: { bucket: [bucketResource.urn] },
    };
    await analyzeWith([stackProbe], [bucketResource, child]);
    const linked = stack?.resources[1];
    expect(linked?.parent?.urn).toBe(bucketResource.urn);
    expect(linked?.dependencies.map((d) => d.urn)).toEqual([bucketResource.urn]);
    expect(linked?.propertyDependencies["bucket"][0].props["bucket"]).toBe("uploads");
  });
});

describe("each validation's own copy", () => {
  /** A probe that records what it sees of the bucket's props and its provider's, then changes both. */
  const meddler = (name: string, seen: unknown[]): Policy =>
    ({
      name,
      description: `Probe ${name}.`,
      validateResource: (args: ResourceValidationArgs) => {
        seen.push([args.props.bucket, args.provider?.props.region]);
        args.props.bucket = `changed by ${name}`;
        if (args.provider) args.provider.props.region = `changed by ${name}`;
      },
    }) as Policy;

  it("is made for each rule: what one rule changes in props or its provider's, the next never sees", async () => {
    const provider: AnalyzedResource = {
      urn: urnOf("pulumi:providers:aws", "aws"),
      type: "pulumi:providers:aws",
      name: "aws",
      props: { region: "sa-east-1" },
    };
    const bucket = { ...bucketResource, provider: `${provider.urn}::id` };
    const seen: unknown[] = [];
    await analyzeWith([meddler("first", seen), meddler("second", seen)], [provider, bucket]);
    expect(seen).toEqual([
      [undefined, undefined],
      [undefined, undefined],
      ["uploads", "sa-east-1"],
      ["uploads", "sa-east-1"],
    ]);
  });

  it("can be replaced by a rule, while asType keeps handing out the call's own copy, as server.js's does", async () => {
    const seen: unknown[] = [];
    const replacer = {
      name: "replacer",
      description: "Probe replacer.",
      validateResource: (args: ResourceValidationArgs) => {
        args.props = { bucket: "replaced" };
        seen.push(args.props.bucket, args.asType(aws.s3.Bucket)?.bucket);
        seen.push(Object.getOwnPropertySymbols({ ...args }).length, Object.keys(args).includes("props"));
      },
    } as Policy;
    await analyzeWith([replacer], [bucketResource]);
    expect(seen).toEqual(["replaced", "uploads", 0, true]);
  });

  it("skips a stack rule typed to a resource class the stack lacks (server.js's fast check)", async () => {
    const bucketsOnly = {
      name: "buckets-only",
      description: "Stack probe of buckets.",
      enforcementLevel: "mandatory",
      validateStack: validateStackResourcesOfType(aws.s3.Bucket, (buckets, _args, report) =>
        report(`Saw ${buckets.length} bucket(s).`),
      ),
    } as Policy;
    expect((await analyzeWith([bucketsOnly], [rootStack])).diagnostics).toEqual([]);
    const seen = await analyzeWith([bucketsOnly], [rootStack, bucketResource]);
    expect(seen.diagnostics.map((d) => d.message)).toEqual(["Stack probe of buckets.\nSaw 1 bucket(s)."]);
  });

  it("a stack rule that says it does not apply is skipped; one that fails names the pack, the rule and the stack", async () => {
    const stackRule = (name: string, validateStack: StackValidationPolicy["validateStack"]) =>
      ({ name, description: `Stack probe ${name}.`, enforcementLevel: "mandatory", validateStack }) as Policy;
    const skipped = stackRule("skipped", (args: StackValidationArgs) =>
      args.notApplicable("no buckets here"),
    );
    expect((await analyzeWith([skipped], [rootStack])).diagnostics).toEqual([]);
    const failing = stackRule("failing", () => {
      throw new TypeError("boom");
    });
    await expect(analyzeWith([failing], [rootStack])).rejects.toThrow(
      /^Error validating the stack with policy 'failing' from policy pack 'probe-pack@v1\.0\.0':\nTypeError: boom/,
    );
  });

  it("is made for each stack rule too, and asType hands out the same copy as props", async () => {
    const seen: unknown[] = [];
    const stackMeddler = (name: string): Policy =>
      ({
        name,
        description: `Stack probe ${name}.`,
        validateStack: (args: StackValidationArgs) => {
          const [bucket] = args.resources.filter((r) => r.type === "aws:s3/bucket:Bucket");
          seen.push(bucket.props.bucket);
          bucket.props.bucket = `changed by ${name}`;
          seen.push(bucket.asType(aws.s3.Bucket)?.bucket);
        },
      }) as Policy;
    await analyzeWith([stackMeddler("first"), stackMeddler("second")], [rootStack, bucketResource]);
    expect(seen).toEqual(["uploads", "changed by first", "uploads", "changed by second"]);
  });
});

describe("unknown values during preview", () => {
  it("make a resource rule 'not evaluated', never a violation", async () => {
    const api = deployment("api", compliantPodSpec({ containers: [compliantContainer({ image: UNKNOWN })] }));
    const result = await runPolicies([api], { all: "disabled", "k8s-image-pinned": "mandatory" });
    expect(result.violations).toEqual([]);
    expect(result.notEvaluated).toEqual([
      {
        policyName: "k8s-image-pinned",
        urn: api.urn,
        reason:
          `can't run policy 'k8s-image-pinned' from policy pack '${policyPack.name}@v${policyPack.version}' ` +
          "during preview: string value at .spec.template.spec.containers.0.image can't be known during preview",
      },
    ]);
  });

  it("do not hide what was not unknown: other rules still report", async () => {
    const api = deployment(
      "api",
      compliantPodSpec({ containers: [compliantContainer({ image: UNKNOWN, readinessProbe: undefined })] }),
    );
    const result = await runPolicies([api], {
      all: "disabled",
      "k8s-image-pinned": "mandatory",
      "k8s-probes-configured": "mandatory",
    });
    expect(result.violations.map((v) => v.policyName)).toEqual(["k8s-probes-configured"]);
    expect(result.notEvaluated.map((n) => n.policyName)).toEqual(["k8s-image-pinned"]);
  });

  it("are only a problem when read: a rule that never touches them runs normally", async () => {
    const db = resource(aws.rds.Instance, "db", {
      publiclyAccessible: true,
      password: UNKNOWN,
      kmsKeyId: UNKNOWN,
    });
    const result = await runPolicies([db], {
      all: "disabled",
      "aws-rds-instance-not-publicly-accessible": "mandatory",
    });
    expect(result.violations).toHaveLength(1);
    expect(result.notEvaluated).toEqual([]);
  });
});

describe("enforcement levels from config", () => {
  const api = deployment(
    "api",
    compliantPodSpec({ containers: [compliantContainer({ image: "api:latest" })] }),
  );

  it("uses each rule's default level without config", async () => {
    const result = await runPolicies([api], {});
    expect(result.violations.find((v) => v.policyName === "k8s-image-pinned")?.enforcementLevel).toBe(
      "mandatory",
    );
    expect(
      result.violations.find((v) => v.policyName === "k8s-deployment-has-hpa-and-pdb")?.enforcementLevel,
    ).toBe("advisory");
    expect(result.policiesRun).toBe(policies.length);
  });

  it("lets `all` set every rule's level", async () => {
    const result = await runPolicies([api], { all: "advisory" });
    expect(result.violations.length).toBeGreaterThan(0);
    expect(new Set(result.violations.map((v) => v.enforcementLevel))).toEqual(new Set(["advisory"]));
  });

  it("lets a rule's own entry override `all`, as a level or inside an object", async () => {
    const result = await runPolicies([api], {
      all: "advisory",
      "k8s-image-pinned": "mandatory",
      "k8s-probes-configured": { enforcementLevel: "disabled" },
    });
    const levels = Object.fromEntries(result.violations.map((v) => [v.policyName, v.enforcementLevel]));
    expect(levels["k8s-image-pinned"]).toBe("mandatory");
    expect(levels["k8s-run-as-non-root"]).toBeUndefined(); // the fixture container runs as non-root
    expect(result.violations.some((v) => v.policyName === "k8s-probes-configured")).toBe(false);
  });

  it("skips disabled rules entirely and counts only the rules that ran", async () => {
    const result = await runPolicies([api], { all: "disabled", "k8s-image-pinned": "advisory" });
    expect(result.policiesRun).toBe(1);
    expect(result.violations.map((v) => v.policyName)).toEqual(["k8s-image-pinned"]);
  });

  it("reports a rule set to remediate as mandatory (no rule here remediates)", async () => {
    const result = await runPolicies([api], { all: "disabled", "k8s-image-pinned": "remediate" });
    expect(result.violations[0].enforcementLevel).toBe("mandatory");
  });
});

describe("violations", () => {
  it("carry the description, then the rule's sentence, and the rule's severity", async () => {
    const api = deployment(
      "api",
      compliantPodSpec({ containers: [compliantContainer({ image: "api:latest" })] }),
    );
    const [violation] = (await runPolicies([api], { all: "disabled", "k8s-image-pinned": "mandatory" }))
      .violations;
    expect(violation).toEqual({
      policyName: "k8s-image-pinned",
      enforcementLevel: "mandatory",
      severity: "medium",
      urn: api.urn,
      message:
        "Container images are pinned to an explicit tag (not latest) or a digest.\n" +
        "Replace tag 'latest' of image 'api:latest' (container 'api' of Deployment healthflow/api) with a version tag or a digest.",
    });
  });

  it("of a stack rule without a resource are filed under the root stack", async () => {
    const result = await runPolicies([rootStack], {
      all: "disabled",
      "aws-s3-backup-bucket-object-lock": { enforcementLevel: "mandatory", requireBackupBucket: true },
    });
    expect(result.violations[0].urn).toBe(rootStack.urn);
  });

  it("stop the run with the policy and resource named when a rule itself fails", async () => {
    const broken: Policy = {
      name: "broken",
      description: "Throws.",
      validateResource: () => {
        throw new TypeError("boom");
      },
    } as Policy;
    await expect(analyzeWith([broken], [bucketResource])).rejects.toThrow(
      /Error validating resource .*uploads with policy 'broken' from policy pack 'probe-pack@v1.0.0':\nTypeError: boom/,
    );
  });
});

describe("policy pack config", () => {
  let directory: string;
  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  const write = (stack: string, text: string) =>
    fs.writeFileSync(path.join(directory, `${stack}.json`), text);

  it("holds a rule's config to its schema's required settings, as the CLI does", () => {
    const strict = probe("probe-strict", [], {
      configSchema: { properties: { limit: { type: "integer" } }, required: ["limit"] },
    } as Partial<Policy>);
    const { errors } = reconcilePolicyPackConfig(
      [strict],
      "mandatory",
      parsePolicyPackConfig({ "probe-strict": { enforcementLevel: "advisory" } }).parsed,
    );
    expect(errors.join("\n")).toContain("probe-strict");
    expect(errors.join("\n")).toContain("limit");
    const given = reconcilePolicyPackConfig(
      [strict],
      "mandatory",
      parsePolicyPackConfig({ "probe-strict": { limit: 3 } }).parsed,
    );
    expect(given.errors).toEqual([]);
  });

  it("names each entry it cannot take: a level that is none, a value that is neither level nor object", () => {
    const { parsed, errors } = parsePolicyPackConfig({
      "k8s-image-pinned": { enforcementLevel: "strict", forbiddenTags: ["main"] },
      "k8s-probes-configured": 42,
      "aws-s3-bucket-kms-encryption": ["mandatory"],
      "k8s-run-as-non-root": "mandatory",
    });
    expect(errors).toEqual([
      '"k8s-image-pinned".enforcementLevel: "strict" is not an enforcement level (advisory, mandatory, remediate, disabled).',
      '"k8s-probes-configured": 42 is not valid; use an enforcement level or an object.',
      '"aws-s3-bucket-kms-encryption": ["mandatory"] is not valid; use an enforcement level or an object.',
    ]);
    // The good entry is still taken; the bad ones are not.
    expect(Object.keys(parsed)).toEqual(["k8s-run-as-non-root"]);
  });

  it("refuses a config that is not an object keyed by policy name, as the CLI's --config does", () => {
    for (const document of [["aws-s3-bucket-kms-encryption"], "mandatory", null, 42]) {
      expect([document, parsePolicyPackConfig(document)]).toEqual([
        document,
        { parsed: {}, errors: ["The policy pack config must be a JSON object keyed by policy name."] },
      ]);
    }
  });

  it("loads every stack's file", () => {
    for (const stack of ["dev", "staging", "production"]) {
      expect(loadPolicyConfig(stack)).toEqual(expect.objectContaining({ all: expect.any(String) }));
    }
  });

  it("names the missing file and the configs there are", () => {
    expect(() => loadPolicyConfig("qa")).toThrow(
      /No policy config 'qa': .*policies\/config\/qa\.json does not exist \(configs: dev, production, staging\)/,
    );
  });

  it("resolves a stack's config: its own file first, then its environment's", () => {
    write("staging", JSON.stringify({ all: "mandatory" }));
    expect(policyConfigName("pr-42", "staging", directory)).toBe("staging");
    write("pr-42", JSON.stringify({ all: "advisory" }));
    expect(policyConfigName("pr-42", "staging", directory)).toBe("pr-42");
    expect(() => policyConfigName("pr-7", "review", directory)).toThrow(PolicyConfigError);
    expect(() => policyConfigName("pr-7", "review", path.join(directory, "absent"))).toThrow(
      new PolicyConfigError(
        `No policy config for stack 'pr-7' (environment 'review'): neither pr-7.json nor review.json exists in ` +
          `${path.join(directory, "absent")} (there are: none). A stack uses its environment's file unless it has its own.`,
      ),
    );
    // The repository's stacks each have their own file.
    for (const stack of ["dev", "staging", "production"]) expect(policyConfigName(stack, stack)).toBe(stack);
  });

  it("names the file when it is not JSON", () => {
    write("broken", "{ all: mandatory }");
    expect(() => loadPolicyConfig("broken", directory)).toThrow(/broken\.json is not valid JSON/);
  });

  it("lists every problem at once: bad levels, schema violations, unknown policy names", () => {
    write(
      "wrong",
      JSON.stringify({
        all: "strict",
        "k8s-hpa-replica-bounds": { minReplicasFloor: 0, maxReplicasCeiling: "twenty" },
        "k8s-container-resource-limits-bounded": { maxCpuLimit: "4 cores" },
        "k8s-not-a-rule": "mandatory",
        "k8s-image-pinned": { forbiddenTag: ["main"] },
      }),
    );
    let message = "";
    try {
      loadPolicyConfig("wrong", directory);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("wrong.json is not a valid policy pack config:");
    expect(message).toContain(
      '"all": "strict" is not an enforcement level (advisory, mandatory, remediate, disabled).',
    );
    expect(message).toContain("k8s-hpa-replica-bounds: minReplicasFloor must be >= 1.");
    expect(message).toContain("k8s-hpa-replica-bounds: maxReplicasCeiling must be integer.");
    expect(message).toContain("k8s-container-resource-limits-bounded: maxCpuLimit must match pattern");
    expect(message).toContain('"k8s-not-a-rule" is not a policy of healthflow-policies.');
    expect(message).toContain(
      '"k8s-image-pinned".forbiddenTag is not a setting of this rule (settings: excludedNamespaces, exemptions, reasons, forbiddenTags).',
    );
  });

  it("wants a reason for every exemption it adds, and no reason without an exemption", () => {
    write(
      "unexplained",
      JSON.stringify({
        all: "mandatory",
        "k8s-probes-configured": {
          exemptions: ["vendor/agent", "vendor/other"],
          reasons: { "vendor/agent": "Its chart renders no probe.", "vendor/gone": "Removed last year." },
        },
        // The rule's default namespaces need none; an added one does.
        "k8s-run-as-non-root": { excludedNamespaces: ["kube-system", "legacy"] },
        "k8s-load-balancer-services-allowed": { allowedLoadBalancerServices: ["edge/lb"] },
      }),
    );
    let message = "";
    try {
      loadPolicyConfig("unexplained", directory);
    } catch (error) {
      message = (error as Error).message;
    }
    const problems = message.split("\n").slice(1);
    expect(problems).toEqual([
      '  - "k8s-probes-configured".exemptions "vendor/other" has no reason: add "reasons": { "vendor/other": "..." }.',
      '  - "k8s-probes-configured".reasons "vendor/gone" explains no entry this config adds to exemptions, excludedNamespaces, allowedLoadBalancerServices.',
      '  - "k8s-run-as-non-root".excludedNamespaces "legacy" has no reason: add "reasons": { "legacy": "..." }.',
      '  - "k8s-load-balancer-services-allowed".allowedLoadBalancerServices "edge/lb" has no reason: add "reasons": { "edge/lb": "..." }.',
    ]);
  });

  it("validates reasons as the CLI does: an object of non-empty sentences", async () => {
    await expect(
      runPolicies([], { "k8s-probes-configured": { exemptions: ["a/b"], reasons: { "a/b": "" } } }),
    ).rejects.toThrow(/k8s-probes-configured: reasons\.\S+ must NOT have fewer than 1 characters/);
    await expect(runPolicies([], { "k8s-probes-configured": { reasons: ["a/b"] } })).rejects.toThrow(
      /k8s-probes-configured: reasons must be object/,
    );
  });

  it("is validated by runPolicies too, as the CLI validates before running", async () => {
    await expect(runPolicies([], { "k8s-hpa-replica-bounds": { maxReplicasCeiling: -1 } })).rejects.toThrow(
      /Invalid policy pack config:\n {2}- k8s-hpa-replica-bounds: maxReplicasCeiling must be >= 1\./,
    );
  });
});

describe("the policy config's validator, kept on disk", () => {
  const schema = {
    type: "object",
    properties: {
      limit: { type: "integer", minimum: 1 },
      names: { type: "array", items: { type: "string" } },
    },
    required: ["limit"],
  };
  let directory: string;
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), "policy-validator-"));
  });
  afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

  const verdicts = (validate: ReturnType<typeof compileValidator>) =>
    [{ limit: 2, names: ["a"] }, { limit: 0, names: [1] }, {}].map((value) => [
      validate(value),
      (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`),
    ]);

  it("gives the same verdicts from the kept code as from Ajv's compile, and keeps one file per schema", () => {
    const fresh = verdicts(compileValidator(schema, directory));
    const [file] = fs.readdirSync(directory);
    const written = fs.statSync(path.join(directory, file)).mtimeMs;
    expect(fresh).toEqual([
      [true, []],
      [false, ["/limit must be >= 1", "/names/0 must be string"]],
      [false, [" must have required property 'limit'"]],
    ]);
    expect(verdicts(compileValidator(schema, directory))).toEqual(fresh);
    expect(fs.statSync(path.join(directory, file)).mtimeMs).toBe(written);
    compileValidator({ ...schema, required: [] }, directory);
    expect(fs.readdirSync(directory)).toHaveLength(2);
  });

  it("compiles again and replaces a kept file that does not load or holds no validator", () => {
    compileValidator(schema, directory);
    const [file] = fs.readdirSync(directory);
    for (const broken of ["this is not JavaScript {", "", "module.exports = {};"]) {
      fs.writeFileSync(path.join(directory, file), broken);
      expect(verdicts(compileValidator(schema, directory))[1][0]).toBe(false);
      expect(fs.readFileSync(path.join(directory, file), "utf8")).toMatch(/^"use strict";module\.exports = /);
    }
  });

  it("still validates where nothing can be kept", () => {
    const blocked = path.join(directory, "a-file");
    fs.writeFileSync(blocked, "");
    expect(verdicts(compileValidator(schema, path.join(blocked, "cache")))[1][0]).toBe(false);
  });
});

describe("formatViolations", () => {
  it("names each violation by its URN's type and name, the stack's own under pulumi:pulumi:Stack", () => {
    const violation = (urn: string | undefined) => ({
      policyName: "p",
      enforcementLevel: "advisory" as const,
      severity: "low" as const,
      message: "Probe.",
      urn,
    });
    const headings = (urn: string | undefined) => formatViolations([violation(urn)]).split("\n")[2];
    // urn:pulumi:<stack>::<project>::<parent type>$<type>::<name> (Pulumi's URN format).
    expect(
      headings("urn:pulumi:dev::healthflow::healthflow:index:Data$aws:s3/bucket:Bucket::uploads::v2"),
    ).toBe("        - [advisory]  p  (aws:s3/bucket:Bucket: uploads::v2)");
    expect(headings(undefined)).toBe("        - [advisory]  p  (pulumi:pulumi:Stack: )");
    expect(headings("not-a-urn")).toBe("        - [advisory]  p  (pulumi:pulumi:Stack: not-a-urn)");
  });

  it("prints the CLI's Policies section: pack header, sorted entries, indented messages", async () => {
    const api = deployment(
      "api",
      compliantPodSpec({
        containers: [compliantContainer({ image: "api:latest", livenessProbe: undefined })],
      }),
    );
    const db = resource(aws.rds.Instance, "db", { storageEncrypted: true, backupRetentionPeriod: UNKNOWN });
    const result = await runPolicies([rootStack, api, db], {
      all: "disabled",
      "k8s-probes-configured": "advisory",
      "k8s-image-pinned": "mandatory",
      "aws-rds-instance-backup-retention": "mandatory",
    });
    expect(formatViolations(result.violations, result.notEvaluated)).toBe(
      [
        "Policies:",
        `    ❌ healthflow-policies@v${policyPack.version} (local: policies)`,
        "        - [advisory]  aws-rds-instance-backup-retention  (aws:rds/instance:Instance: db)",
        `          can't run policy 'aws-rds-instance-backup-retention' from policy pack 'healthflow-policies@v${policyPack.version}' during preview: string value at .backupRetentionPeriod can't be known during preview`,
        "        - [advisory]  k8s-probes-configured  (kubernetes:apps/v1:Deployment: api)",
        "          Containers of long-running workloads define readiness and liveness probes.",
        "          Add livenessProbe to container 'api' of Deployment healthflow/api.",
        "        - [mandatory]  k8s-image-pinned  (kubernetes:apps/v1:Deployment: api)",
        "          Container images are pinned to an explicit tag (not latest) or a digest.",
        "          Replace tag 'latest' of image 'api:latest' (container 'api' of Deployment healthflow/api) with a version tag or a digest.",
        "",
      ].join("\n"),
    );
  });

  it("shows a passing pack with a check mark", () => {
    expect(formatViolations([])).toBe(
      `Policies:\n    ✅ healthflow-policies@v${policyPack.version} (local: policies)\n`,
    );
  });
});

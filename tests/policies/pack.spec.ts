/**
 * The pack as a whole: every rule carries the metadata the CLI and the README rely on, each stack's config
 * gives the intended levels, a compliant stack passes every rule under every stack's config, and the
 * pack's manifest matches what the program pins.
 */
import Ajv from "ajv";
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { EnforcementLevel } from "@pulumi/policy";
import { isResourcePolicy, isStackPolicy, typeTokenOf } from "../../policies/lib/policy-runtime";
import { mirrorTags, type HealthflowPolicy } from "../../policies/lib/define";
import { loadPolicyConfig, runPolicies } from "../../policies/offline";
import { parsePolicyPackConfig, reconcilePolicyPackConfig } from "../../policies/offline/policy-config";
import { policies, policyPackEnforcementLevel } from "../../policies/rules";
import { tableRows } from "../harness/markdown";
import {
  compliantBackupBucket,
  compliantBucket,
  compliantZone,
  deployment,
  hpa,
  pdb,
  resource,
  rootStack,
  secret,
  UNKNOWN,
  workload,
} from "./fixtures";

const root = path.join(__dirname, "../..");
const stacks = ["dev", "staging", "production"] as const;

function levelsFor(stack: (typeof stacks)[number]): Record<string, EnforcementLevel> {
  const { parsed } = parsePolicyPackConfig(loadPolicyConfig(stack));
  const { config } = reconcilePolicyPackConfig(policies, policyPackEnforcementLevel, parsed);
  return Object.fromEntries(policies.map((p) => [p.name, config[p.name].enforcementLevel]));
}

describe("rule metadata", () => {
  it("gives every rule a unique, CLI-valid name", () => {
    const names = policies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(name).toMatch(/^(k8s|aws|cloudflare)-[a-z0-9-]+$/);
    }
  });

  it("tags each mirrored check with its tool's own name, so a search for the tool finds the rule", () => {
    expect(
      mirrorTags({
        checkov: ["CKV_AWS_16"],
        kubeScore: ["container-image-tag"],
        polaris: ["tagNotSpecified"],
        awsSecurityHub: ["RDS.3"],
        other: ["RFC 8996"],
      }),
    ).toEqual([
      "checkov:CKV_AWS_16",
      "kube-score:container-image-tag",
      "polaris:tagNotSpecified",
      "aws-securityhub:RDS.3",
      "see:RFC 8996",
    ]);
    const rds = policies.find((p) => p.name === "aws-rds-instance-storage-encrypted");
    expect(rds?.tags).toContain("checkov:CKV_AWS_16");
  });

  it.each(policies.map((p) => [p.name, p] as const))(
    "%s has description, severity, level, remediation and mirrors",
    (_, policy) => {
      expect(policy.description).toMatch(/^[A-Z].*\.$/);
      expect(["low", "medium", "high", "critical"]).toContain(policy.severity);
      expect(["advisory", "mandatory"]).toContain(policy.enforcementLevel);
      expect(policy.remediationSteps.length).toBeGreaterThan(20);
      expect(mirrorTags(policy.mirrors).length).toBeGreaterThan(0);
      expect(policy.tags).toEqual(expect.arrayContaining(mirrorTags(policy.mirrors)));
      expect(isResourcePolicy(policy) !== isStackPolicy(policy)).toBe(true);
    },
  );

  it("a rule mapped to an AWS Security Hub control names, in its framework, every control it mirrors", () => {
    // The framework is what Pulumi Cloud's compliance view shows an auditor; Security Hub's control
    // ids look like S3.17 or CloudTrail.2 (Security Hub user guide, the controls reference).
    const mapped = policies.filter((p) => p.framework?.name === "AWS Foundational Security Best Practices");
    expect(mapped.length).toBeGreaterThan(10);
    for (const policy of mapped) {
      const spec = policy.framework!.specification ?? "";
      const ids = spec.match(/\b[A-Z][A-Za-z0-9]*\.\d+\b/g) ?? [];
      expect([policy.name, ids.length > 0]).toEqual([policy.name, true]);
      for (const id of policy.mirrors.awsSecurityHub ?? [])
        expect([policy.name, id, spec.includes(id)]).toEqual([policy.name, id, true]);
      expect(policy.framework!.reference).toMatch(
        /^https:\/\/docs\.aws\.amazon\.com\/securityhub\/latest\/userguide\/[a-z0-9]+-controls\.html$/,
      );
    }
  });

  it("a rule mapped to the Pod Security Standards names one of its controls, in the profile that holds it", () => {
    // The controls of https://kubernetes.io/docs/concepts/security/pod-security-standards/, by profile.
    const controls: Record<string, string[]> = {
      baseline: [
        "HostProcess",
        "Host Namespaces",
        "Privileged Containers",
        "Capabilities",
        "HostPath Volumes",
        "Host Ports",
        "AppArmor",
        "SELinux",
        "/proc Mount Type",
        "Seccomp",
        "Sysctls",
      ],
      restricted: [
        "Volume Types",
        "Privilege Escalation",
        "Running as Non-root",
        "Running as Non-root user",
        "Seccomp",
        "Capabilities",
      ],
    };
    const mapped = policies.filter((p) => p.framework?.name === "Kubernetes Pod Security Standards");
    expect(mapped.map((p) => p.name).sort()).toEqual([
      "k8s-drop-all-capabilities",
      "k8s-no-host-namespaces",
      "k8s-no-host-path-volumes",
      "k8s-no-privilege-escalation",
      "k8s-run-as-non-root",
    ]);
    for (const policy of mapped) {
      const { version, specification } = policy.framework!;
      expect([policy.name, controls[version!]?.includes(specification!)]).toEqual([policy.name, true]);
    }
  });

  it.each(policies.map((p) => [p.name, p] as const))(
    "%s documents and defaults every config property, and leaves enforcementLevel to the CLI",
    (_, policy) => {
      expect(policy.configSchema).toBeDefined();
      const properties = policy.configSchema?.properties ?? {};
      expect(properties).not.toHaveProperty("enforcementLevel");
      for (const schema of Object.values(properties)) {
        expect(schema).toEqual(
          expect.objectContaining({ description: expect.any(String), default: expect.anything() }),
        );
      }
      // A valid JSON Schema (draft-07, what the CLI's gojsonschema reads), so the offline plan may
      // skip checking the schemas themselves each time it validates a stack's config.
      const ajv = new Ajv({ strict: true });
      expect([ajv.validateSchema({ type: "object", ...policy.configSchema }), ajv.errors ?? []]).toEqual([
        true,
        [],
      ]);
      // ... and its defaults satisfy it.
      expect(reconcilePolicyPackConfig([policy], "advisory", {}).errors).toEqual([]);
    },
  );
});

describe("per-stack config", () => {
  it("is advisory for every rule in dev", () => {
    expect(new Set(Object.values(levelsFor("dev")))).toEqual(new Set(["advisory"]));
  });

  it("is mandatory in staging except the documented advisory and disabled rules", () => {
    const relaxed = Object.entries(levelsFor("staging")).filter(([, level]) => level !== "mandatory");
    expect(Object.fromEntries(relaxed)).toEqual({
      "k8s-deployment-has-hpa-and-pdb": "advisory",
      "aws-rds-instance-deletion-protection": "advisory",
      "aws-rds-instance-multi-az": "disabled",
      "aws-elasticache-replication-group-automatic-failover": "disabled",
      "aws-cost-monthly-estimate": "advisory",
      "aws-cost-monthly-budget": "advisory",
    });
  });

  it("is mandatory for every rule in production but the cost rules (the estimate informs, the budget warns)", () => {
    const relaxed = Object.entries(levelsFor("production")).filter(([, level]) => level !== "mandatory");
    expect(Object.fromEntries(relaxed)).toEqual({
      "aws-cost-monthly-estimate": "advisory",
      "aws-cost-monthly-budget": "advisory",
    });
  });
});

/** A production-shaped stack built to pass every rule: the guide's api workload hardened, data stores, edge. */
function compliantStack() {
  const api = deployment("api", undefined, { replicas: 2 });
  const backup = workload("CronJob", "pg-backup");
  return [
    rootStack,
    api,
    hpa("api", { name: "api" }, { min: 2, max: 10 }),
    pdb("api", { app: "api" }, { maxUnavailable: 1 }),
    backup,
    resource(k8s.core.v1.Service, "api-service", {
      metadata: { name: "api", namespace: "healthflow" },
      spec: { type: "ClusterIP" },
    }),
    resource(aws.rds.Instance, "postgres", {
      identifier: "healthflow",
      storageEncrypted: true,
      publiclyAccessible: false,
      backupRetentionPeriod: 14,
      deletionProtection: true,
      multiAz: true,
      password: secret(UNKNOWN),
    }),
    resource(aws.elasticache.ReplicationGroup, "redis", {
      replicationGroupId: "healthflow",
      numCacheClusters: 2,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      authToken: secret(UNKNOWN),
    }),
    resource(aws.eks.Cluster, "eks", {
      name: "healthflow",
      enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
      encryptionConfig: { resources: ["secrets"], provider: { keyArn: UNKNOWN } },
      vpcConfig: { subnetIds: UNKNOWN, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] },
    }),
    resource(aws.kms.Key, "data", { enableKeyRotation: true }),
    resource(aws.guardduty.Detector, "guardduty", { enable: true }),
    ...["EKS_AUDIT_LOGS", "RUNTIME_MONITORING"].map((name) =>
      resource(aws.guardduty.DetectorFeature, name.toLowerCase(), {
        detectorId: UNKNOWN,
        name,
        status: "ENABLED",
      }),
    ),
    ...compliantBucket("healthflow-uploads"),
    ...compliantBackupBucket(),
    ...compliantZone(),
  ];
}

describe("a compliant stack", () => {
  it.each(stacks)("passes every rule under the %s config, with nothing left unevaluated", async (stack) => {
    const result = await runPolicies(compliantStack(), loadPolicyConfig(stack));
    // The cost estimate is the one report every stack with AWS resources gets (advisory, informational).
    const informational = result.violations.filter((v) => v.policyName === "aws-cost-monthly-estimate");
    expect(informational.map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    expect(result.violations.filter((v) => !informational.includes(v))).toEqual([]);
    expect(result.notEvaluated).toEqual([]);
  });
});

describe("the pack's files", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "policies/package.json"), "utf8"));
  const program = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

  it("pins the SDKs exactly, at the versions the program uses", () => {
    for (const [name, version] of Object.entries(manifest.dependencies as Record<string, string>)) {
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(version).toBe(program.dependencies[name] ?? program.devDependencies[name]);
    }
    expect(manifest.devDependencies.typescript).toBe(program.devDependencies.typescript);
    expect(manifest.main).toBe("index.ts");
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("declares a nodejs policy pack", () => {
    expect(fs.readFileSync(path.join(root, "policies/PulumiPolicy.yaml"), "utf8")).toMatch(
      /^runtime: nodejs$/m,
    );
  });

  it("never imports the gRPC-serving entry point outside the CLI", () => {
    const sources = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        return entry.isDirectory()
          ? entry.name === "node_modules"
            ? []
            : sources(full)
          : full.endsWith(".ts")
            ? [full]
            : [];
      });
    const importsIndex =
      /from\s+["'](\.\.?\/)+(policies\/)?index["']|require\(["'].*policies(\/index)?["']\)/;
    const offenders = [...sources(path.join(root, "policies")), ...sources(path.join(root, "tests"))].filter(
      (file) => !file.endsWith("policies/index.ts") && importsIndex.test(fs.readFileSync(file, "utf8")),
    );
    expect(offenders).toEqual([]);
  });

  it("documents every rule with its level in each stack in the README", () => {
    const readme = fs.readFileSync(path.join(root, "policies/README.md"), "utf8");
    // Table rows as cells, so column padding (prettier aligns markdown tables) does not matter; the
    // rules' table only (the exemptions' rows also start with a code span).
    const rows = tableRows(readme.slice(readme.indexOf("\n## Rules\n")), "| `");
    const documented = Object.fromEntries(rows.map((cells) => [cells[0], cells.slice(1, 5)]));
    const levels = Object.fromEntries(stacks.map((stack) => [stack, levelsFor(stack)]));
    const expected = Object.fromEntries(
      policies.map((policy: HealthflowPolicy) => [
        `\`${policy.name}\``,
        [...stacks.map((stack) => levels[stack][policy.name]), policy.severity],
      ]),
    );
    expect(documented).toEqual(expected);
  });
});

describe("the @pulumi/policy internals the offline runner mirrors (policies/lib/policy-runtime.ts)", () => {
  // They exist in @pulumi/policy's JavaScript, not in its types, so only this guard notices a version
  // that drops one: the module refuses to load, naming what is missing.
  test("a class the SDK did not register has no type token, and says so", () => {
    class Plain {}
    expect(() => typeTokenOf(Plain)).toThrow(new Error("Plain carries no Pulumi type token (__pulumiType)."));
  });

  test.each([
    ["@pulumi/policy", "isStackPolicy"],
    ["@pulumi/policy", "getPulumiType"],
    ["@pulumi/policy/deserialize", "deserializeProperties"],
  ])("%s without %s: the runner refuses to load, naming it", (from, missing) => {
    jest.isolateModules(() => {
      jest.doMock(from, () => ({ ...jest.requireActual<object>(from), [missing]: undefined }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh load under the mock
      expect(() => require("../../policies/lib/policy-runtime")).toThrow(
        new Error(
          `${from} no longer exports '${missing}'; the offline policy runner (policies/offline.ts) mirrors ` +
            "the real analyzer through it and must be updated for this @pulumi/policy version.",
        ),
      );
      jest.dontMock(from);
    });
  });
});

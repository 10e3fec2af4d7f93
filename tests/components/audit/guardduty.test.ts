/**
 * Intrusion detection (issue 30, point 4): GuardDuty with the protections that see this stack, and its
 * findings of medium severity and up on the on-call topic. The rule's pattern is read by
 * tests/harness/eventPattern.ts (a hand-written reader of EventBridge patterns) against findings shaped
 * as GuardDuty sends them (GuardDuty user guide, "EventBridge event format for GuardDuty").
 */
import * as path from "path";
import { find, ofType, runProgram, type RegisteredResource } from "../../harness";
import { plannedRun } from "../../harness/plans";
import { matchesEventPattern } from "../../harness/eventPattern";
import { PROJECT_ROOT, readStackConfig } from "../../../tools/engine/stackConfig";

describe.each(["staging", "production"])("GuardDuty in %s", (stack) => {
  let resources: RegisteredResource[];
  beforeAll(() => {
    resources = plannedRun(stack).resources;
  });

  test("a detector of the stack's own, never deleted by an update or a destroy (that would delete its findings)", () => {
    const detector = find(resources, "aws:guardduty/detector:Detector", "guardduty");
    expect(detector.inputs.enable).toBe(true);
    expect(detector.retainOnDelete).toBe(true);
    expect(detector.protect).toBe(stack === "production");
  });

  test("watches the EKS audit log, the nodes at runtime (agent managed by GuardDuty), RDS logins, S3 data and EBS malware", () => {
    const features = ofType(resources, "aws:guardduty/detectorFeature:DetectorFeature").map(
      (f) => f.inputs as any,
    );
    expect(features.map((f) => f.name).sort()).toEqual([
      "EBS_MALWARE_PROTECTION",
      "EKS_AUDIT_LOGS",
      "RDS_LOGIN_EVENTS",
      "RUNTIME_MONITORING",
      "S3_DATA_EVENTS",
    ]);
    for (const f of features) expect([f.name, f.status]).toEqual([f.name, "ENABLED"]);
    // RUNTIME_MONITORING with GuardDuty managing the EKS add-on; never also the older EKS_RUNTIME_MONITORING.
    // Every agent-management setting GuardDuty returns is declared (the provider replaces a feature
    // that declares fewer on each refresh, hashicorp/terraform-provider-aws#36695): EKS's on, the others off.
    const runtime = features.find((f) => f.name === "RUNTIME_MONITORING").additionalConfigurations;
    expect(Object.fromEntries(runtime.map((c: any) => [c.name, c.status]))).toEqual({
      EKS_ADDON_MANAGEMENT: "ENABLED",
      ECS_FARGATE_AGENT_MANAGEMENT: "DISABLED",
      EC2_AGENT_MANAGEMENT: "DISABLED",
    });
  });

  test("findings of medium severity and up reach the on-call topic; low ones do not", () => {
    const rule = find(resources, "aws:cloudwatch/eventRule:EventRule", "guardduty-findings");
    const pattern = JSON.parse((rule.inputs as any).eventPattern);
    const finding = (severity: number) => ({
      source: "aws.guardduty",
      "detail-type": "GuardDuty Finding",
      detail: { severity, type: "Recon:EC2/PortProbeUnprotectedPort" },
    });
    // GuardDuty's levels: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0.
    expect([1, 3.9, 4, 5.5, 7, 8.9, 9.5].map((s) => [s, matchesEventPattern(pattern, finding(s))])).toEqual([
      [1, false],
      [3.9, false],
      [4, true],
      [5.5, true],
      [7, true],
      [8.9, true],
      [9.5, true],
    ]);
    expect(matchesEventPattern(pattern, { ...finding(8), source: "aws.health" })).toBe(false);
    const target = find(resources, "aws:cloudwatch/eventTarget:EventTarget", "guardduty-findings");
    expect(target.propertyDependencies.arn).toEqual([find(resources, "aws:sns/topic:Topic", "alarms").urn]);
  });
});

test("with audit.detector: existing the stack uses the account's detector and creates none", async () => {
  const run = await runProgram("staging", {
    overrides: {
      "healthflow:audit": {
        ...JSON.parse(readStackConfig("staging").config["healthflow:audit"]),
        detector: "existing",
      },
    },
    invokesFrom: {
      module: path.join(PROJECT_ROOT, "tools", "engine", "awsAnswers.ts"),
      export: "existingDetectorAnswers",
      args: ["12abc34d567e8fa901bc2d34eexample", {}],
    },
  });
  expect(ofType(run.resources, "aws:guardduty/detector:Detector")).toEqual([]);
  const features = ofType(run.resources, "aws:guardduty/detectorFeature:DetectorFeature");
  expect(features).toHaveLength(5);
  for (const f of features) expect((f.inputs as any).detectorId).toBe("12abc34d567e8fa901bc2d34eexample");
});

/**
 * An EKS cluster that holds patients' data is watched for intrusions (LGPD art. 46, HIPAA 164.308(a)(1)
 * security incident detection): the stack declares GuardDuty's detector, or the protections of the
 * account's existing one, with the EKS audit log and runtime monitoring on.
 */
import * as aws from "@pulumi/aws";
import { configSchema } from "../../../lib/config";
import { stackPolicy } from "../../../lib/define";
import { tryKnown } from "../../../lib/known";
import { ofType } from "../../graph";

/** What a cluster needs GuardDuty to watch: its audit log and its nodes at runtime. */
const CLUSTER_PROTECTIONS = ["EKS_AUDIT_LOGS", "RUNTIME_MONITORING"];

export const guarddutyDetectorProtections = stackPolicy({
  name: "aws-guardduty-detector-protections",
  description:
    "A stack with an EKS cluster declares GuardDuty (a detector, or features of the account's) with the EKS audit log and runtime monitoring on.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { awsSecurityHub: ["GuardDuty.1", "GuardDuty.5", "GuardDuty.7"] },
  tags: ["aws", "security", "lgpd", "audit"],
  remediationSteps:
    "Declare an aws.guardduty.Detector (or, for the account's existing one, its aws.guardduty.DetectorFeature resources) " +
    "with EKS_AUDIT_LOGS and RUNTIME_MONITORING enabled.",
  configSchema: configSchema(),
  validateStack: (args, reportViolation) => {
    if (ofType(args.resources, aws.eks.Cluster).length === 0) return;
    const detectors = ofType(args.resources, aws.guardduty.Detector);
    const features = ofType(args.resources, aws.guardduty.DetectorFeature);
    if (detectors.length === 0 && features.length === 0) {
      reportViolation(
        "Declare GuardDuty for the cluster: an aws.guardduty.Detector, or the features of the account's detector.",
      );
      return;
    }
    for (const detector of detectors) {
      const enable = tryKnown(() => detector.props["enable"]);
      if (enable.known && enable.value === false) {
        reportViolation(
          "Enable the GuardDuty detector (enable: true): a suspended detector analyzes nothing.",
          detector.urn,
        );
      }
    }
    const known = (f: (typeof features)[number], property: string) => {
      const value = tryKnown(() => f.props[property]);
      return value.known ? value.value : undefined;
    };
    const enabled = new Set(
      features.filter((f) => known(f, "status") === "ENABLED").map((f) => known(f, "name")),
    );
    const missing = CLUSTER_PROTECTIONS.filter((name) => !enabled.has(name));
    if (missing.length) {
      reportViolation(
        `Enable GuardDuty's ${missing.join(" and ")} (aws.guardduty.DetectorFeature, status ENABLED) for the cluster.`,
      );
    }
  },
});

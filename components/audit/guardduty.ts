import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

// Intrusion detection: GuardDuty with the protections that see this stack's attack surface, and its
// findings of medium severity and up sent to the on-call topic.

/**
 * The detector's protections (GuardDuty API reference, DetectorFeatureConfiguration): the EKS audit
 * log, runtime monitoring of the nodes with the agent GuardDuty installs and updates itself as an EKS
 * add-on (EKS_ADDON_MANAGEMENT; RUNTIME_MONITORING replaces the older EKS_RUNTIME_MONITORING, and
 * the two cannot both be on), RDS logins, S3 data events (the uploads and backups), and malware
 * scans of EBS volumes when a finding points at an instance.
 */
export const GUARDDUTY_FEATURES: {
  name: string;
  additionalConfigurations?: { name: string; status: string }[];
}[] = [
  { name: "EKS_AUDIT_LOGS" },
  {
    name: "RUNTIME_MONITORING",
    // All three, as GuardDuty returns them: the provider reads back every one and would replace a
    // feature that declares fewer on each refresh (hashicorp/terraform-provider-aws#36695).
    additionalConfigurations: [
      { name: "EKS_ADDON_MANAGEMENT", status: "ENABLED" },
      { name: "ECS_FARGATE_AGENT_MANAGEMENT", status: "DISABLED" },
      { name: "EC2_AGENT_MANAGEMENT", status: "DISABLED" },
    ],
  },
  { name: "RDS_LOGIN_EVENTS" },
  { name: "S3_DATA_EVENTS" },
  { name: "EBS_MALWARE_PROTECTION" },
];

/**
 * GuardDuty's findings of medium severity and up (4.0 and above: "Medium 4.0-6.9, High 7.0-8.9,
 * Critical 9.0-10.0", GuardDuty user guide, "Severity levels for GuardDuty findings"), as EventBridge
 * receives them ("GuardDuty Finding", GuardDuty user guide, "Creating custom responses to GuardDuty
 * findings with Amazon EventBridge").
 */
export const FINDINGS_PATTERN = {
  source: ["aws.guardduty"],
  "detail-type": ["GuardDuty Finding"],
  detail: { severity: [{ numeric: [">=", 4] }] },
};

export interface ThreatDetectionArgs {
  namePrefix: string;
  /** The account's detector to use (`audit.detector: existing`); none: this stack creates its own. */
  existingDetectorId?: string;
  /** The on-call SNS topic (its policy and key let EventBridge publish). */
  alarmTopicArn: pulumi.Input<string>;
  provider: aws.Provider;
  protect?: boolean;
}

export class ThreatDetection extends pulumi.ComponentResource {
  readonly detectorId: pulumi.Output<string>;

  constructor(name: string, args: ThreatDetectionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:audit:ThreatDetection", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    // Deleting a detector disables GuardDuty in the region and deletes its findings (the provider's
    // guardduty/detector docs): protected in production, and left in the account by a destroy.
    this.detectorId = args.existingDetectorId
      ? pulumi.output(args.existingDetectorId)
      : new aws.guardduty.Detector(
          "guardduty",
          { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES" },
          { ...child, protect: args.protect, retainOnDelete: true },
        ).id;
    for (const feature of GUARDDUTY_FEATURES) {
      new aws.guardduty.DetectorFeature(
        `guardduty-${feature.name.toLowerCase().replace(/_/g, "-")}`,
        {
          detectorId: this.detectorId,
          name: feature.name,
          status: "ENABLED",
          additionalConfigurations: feature.additionalConfigurations,
        },
        child,
      );
    }
    const rule = new aws.cloudwatch.EventRule(
      "guardduty-findings",
      {
        name: `${args.namePrefix}-guardduty-findings`,
        description: "GuardDuty findings of medium severity and up, to the on-call topic",
        eventPattern: JSON.stringify(FINDINGS_PATTERN),
      },
      child,
    );
    new aws.cloudwatch.EventTarget("guardduty-findings", { rule: rule.name, arn: args.alarmTopicArn }, child);
    this.registerOutputs({ detectorId: this.detectorId });
  }
}

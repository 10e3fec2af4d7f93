/**
 * A bucket becomes public through an ACL or a bucket policy typo; S3 Block Public Access makes both
 * impossible. Each bucket carries its own block, or the account-wide block is on in the same stack.
 */
import * as aws from "@pulumi/aws";
import type { PolicyResource } from "@pulumi/policy";
import { awsFoundationalControl } from "../../../aws/frameworks";
import { stackPolicy } from "../../../lib/define";
import { tryKnown } from "../../../lib/known";
import { DeferredUnknowns, ofType } from "../../graph";
import { checkBucketSettings, describeBucket } from "./bucket-links";
import { configSchema } from "../../../lib/config";

const blockSettings = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

function settingsOff(block: PolicyResource): string[] {
  return blockSettings.filter((setting) => block.props[setting] !== true);
}

export const s3BucketPublicAccessBlocked = stackPolicy({
  name: "aws-s3-bucket-public-access-blocked",
  description: "Every S3 bucket has Block Public Access fully on (its own block or the account's).",
  severity: "critical",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"], awsSecurityHub: ["S3.8"] },
  framework: awsFoundationalControl("s3", "S3.8 S3 general purpose buckets should block public access"),
  tags: ["aws", "security", "lgpd"],
  remediationSteps:
    "Add an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, " +
    "ignorePublicAcls and restrictPublicBuckets all true.",
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateStack: (args, reportViolation) => {
    const deferred = new DeferredUnknowns();
    const accountBlocks = ofType(args.resources, aws.s3.AccountPublicAccessBlock).map((block) =>
      tryKnown(() => settingsOff(block).length === 0),
    );
    const accountBlocked =
      accountBlocks.some((block) => block.known && block.value) ||
      accountBlocks.find((block): block is Extract<typeof block, { known: false }> => !block.known)?.error;
    checkBucketSettings(
      args.resources,
      {
        kind: "publicAccessBlock",
        coveredElsewhere: accountBlocked || undefined,
        missing: (bucket) =>
          `Add an aws.s3.BucketPublicAccessBlock with all four settings true for ${describeBucket(bucket)}.`,
        check: (block, bucket) => {
          const off = settingsOff(block);
          return off.length === 0
            ? undefined
            : `Set ${off.map((s) => `${s}: true`).join(", ")} on the public access block of ${describeBucket(bucket)}.`;
        },
      },
      reportViolation,
      deferred,
    );
    deferred.rethrow();
  },
});

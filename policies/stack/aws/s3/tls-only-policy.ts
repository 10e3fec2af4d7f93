/**
 * S3 still answers plain-HTTP requests unless the bucket policy refuses them. The standard guard is a Deny
 * for everyone on every action when aws:SecureTransport is false.
 */
import { awsFoundationalControl } from "../../../aws/frameworks";
import { stackPolicy } from "../../../lib/define";
import { DeferredUnknowns } from "../../graph";
import { checkBucketSettings, describeBucket } from "./bucket-links";
import { configSchema } from "../../../lib/config";

interface Statement {
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function isEveryone(principal: unknown): boolean {
  if (principal === "*") {
    return true;
  }
  const aws = (principal as { AWS?: string | string[] } | undefined)?.AWS;
  return asList(aws).includes("*");
}

function refusesInsecureTransport(statement: Statement): boolean {
  const coversAllActions = asList(statement.Action).some((action) => action === "s3:*" || action === "*");
  const conditions = [statement.Condition?.["Bool"], statement.Condition?.["BoolIfExists"]];
  const whenInsecure = conditions.some((condition) =>
    asList(condition?.["aws:SecureTransport"] as unknown).some((value) => String(value) === "false"),
  );
  return statement.Effect === "Deny" && isEveryone(statement.Principal) && coversAllActions && whenInsecure;
}

/** Whether a bucket policy document (JSON text or object) refuses requests not made over TLS. */
export function policyRequiresTls(policy: unknown): boolean {
  let document: { Statement?: Statement | Statement[] };
  try {
    document = typeof policy === "string" ? JSON.parse(policy) : (policy as typeof document);
  } catch {
    return false;
  }
  return asList(document?.Statement).some(refusesInsecureTransport);
}

export const s3BucketTlsOnlyPolicy = stackPolicy({
  name: "aws-s3-bucket-tls-only-policy",
  description: "Every S3 bucket's policy denies requests that do not use TLS (aws:SecureTransport = false).",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { awsSecurityHub: ["S3.5"], other: ["Prowler s3_bucket_secure_transport_policy"] },
  framework: awsFoundationalControl(
    "s3",
    "S3.5 S3 general purpose buckets should require requests to use SSL",
  ),
  tags: ["aws", "security", "tls", "lgpd"],
  remediationSteps:
    'Add an aws.s3.BucketPolicy with a statement { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ' +
    '[bucket ARN, bucket ARN + "/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }.',
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateStack: (args, reportViolation) => {
    const deferred = new DeferredUnknowns();
    checkBucketSettings(
      args.resources,
      {
        kind: "policy",
        missing: (bucket) =>
          `Add an aws.s3.BucketPolicy that denies requests without TLS (aws:SecureTransport = false) for ${describeBucket(bucket)}.`,
        check: (bucketPolicy, bucket) =>
          policyRequiresTls(bucketPolicy.props["policy"])
            ? undefined
            : `Add a Deny statement for Principal "*", Action "s3:*" when aws:SecureTransport is "false" ` +
              `to the bucket policy of ${describeBucket(bucket)}.`,
      },
      reportViolation,
      deferred,
    );
    deferred.rethrow();
  },
});

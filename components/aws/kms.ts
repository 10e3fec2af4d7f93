import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The account the stack's provider deploys into (sts:GetCallerIdentity). */
export function accountId(provider: aws.Provider): pulumi.Output<string> {
  return aws.getCallerIdentityOutput({}, { provider }).accountId;
}

/** An AWS service that may use a key, and the condition that scopes it. */
export interface KeyServiceGrant {
  /** Service principal, e.g. logs.sa-east-1.amazonaws.com. */
  service: string;
  /** IAM condition block limiting the grant (e.g. to one log group). */
  condition?: Record<string, Record<string, pulumi.Input<string | string[]>>>;
}

/**
 * A customer-managed key policy: the account administers the key through IAM (without this
 * statement a key can become unmanageable), and optionally one AWS service may use it.
 */
export function kmsKeyPolicy(provider: aws.Provider, grant?: KeyServiceGrant): pulumi.Output<string> {
  const account = accountId(provider);
  const statements: object[] = [
    {
      Sid: "AccountAdministersKeyThroughIam",
      Effect: "Allow",
      Principal: { AWS: pulumi.interpolate`arn:aws:iam::${account}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ];
  if (grant) {
    statements.push({
      Sid: "ServiceUsesKey",
      Effect: "Allow",
      Principal: { Service: grant.service },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      ...(grant.condition ? { Condition: grant.condition } : {}),
    });
  }
  return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}

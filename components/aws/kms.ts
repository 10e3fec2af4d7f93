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
 * statement a key can become unmanageable), optionally one AWS service may use it, and `extra`
 * statements follow.
 */
export function kmsKeyPolicy(
  provider: aws.Provider,
  grant?: KeyServiceGrant,
  extra: object[] = [],
): pulumi.Output<string> {
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
  return pulumi.jsonStringify({ Version: "2012-10-17", Statement: [...statements, ...extra] });
}

/**
 * The statements AWS requires for a customer key on volumes that EC2 Auto Scaling launches (an
 * EKS managed node group's launch template): its service-linked role uses the key, and may grant
 * it to the instances' volumes. From "Required AWS KMS key policy for use with encrypted volumes"
 * (EC2 Auto Scaling user guide, key-policy-requirements-EBS-encryption).
 */
export function autoscalingUsesKey(autoscalingRoleArn: pulumi.Input<string>): object[] {
  return [
    {
      Sid: "AutoScalingUsesKeyForVolumes",
      Effect: "Allow",
      Principal: { AWS: autoscalingRoleArn },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: "*",
    },
    {
      Sid: "AutoScalingAttachesVolumes",
      Effect: "Allow",
      Principal: { AWS: autoscalingRoleArn },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
    },
  ];
}

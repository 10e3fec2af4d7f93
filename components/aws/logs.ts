import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountId, kmsKeyPolicy } from "./kms";

export interface EncryptedLogGroupsArgs {
  /** What the logs are, for the key's description. */
  description: string;
  /** Resource id suffix → log group name; AWS services that log by convention (EKS, RDS) find them there. */
  groups: Record<string, string>;
  retentionDays: number;
  region: string;
  provider: aws.Provider;
  parent: pulumi.Resource;
  /** `protect` the key and the groups: losing the key makes the logs unreadable, losing a group loses them. */
  protect?: boolean;
  /** The groups' tags (what reads them by kind: the cost estimate). */
  tags?: Record<string, string>;
}

/**
 * CloudWatch log groups created before the service that writes them (EKS control plane, RDS
 * exports, VPC flow logs), so they get a retention and a customer KMS key instead of the
 * service's never-expiring, AWS-keyed default. One rotating key, usable by CloudWatch Logs only
 * for these groups.
 */
export function encryptedLogGroups(
  id: string,
  args: EncryptedLogGroupsArgs,
): { key: aws.kms.Key; groups: aws.cloudwatch.LogGroup[] } {
  const child = { parent: args.parent, provider: args.provider };
  const account = accountId(args.provider);
  const key = new aws.kms.Key(
    `${id}-logs-key`,
    {
      description: `${args.description} logs`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: kmsKeyPolicy(args.provider, {
        service: `logs.${args.region}.amazonaws.com`,
        condition: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": account.apply((acct) =>
              Object.values(args.groups).map(
                (name) => `arn:aws:logs:${args.region}:${acct}:log-group:${name}`,
              ),
            ),
          },
        },
      }),
    },
    { ...child, protect: args.protect },
  );
  const groups = Object.entries(args.groups).map(
    ([suffix, name]) =>
      new aws.cloudwatch.LogGroup(
        `${id}-${suffix}`,
        { name, retentionInDays: args.retentionDays, kmsKeyId: key.arn, tags: args.tags },
        // The control plane's audit log, the database's and the VPC's flow logs are records of
        // access to patients' data (LGPD art. 37): in production, only a deliberate unprotect removes them.
        { ...child, protect: args.protect },
      ),
  );
  return { key, groups };
}

/** One such group, `name`, with its own key: what a service that logs to one group needs. */
export function encryptedLogGroup(
  id: string,
  args: Omit<EncryptedLogGroupsArgs, "groups"> & { name: string },
): aws.cloudwatch.LogGroup {
  const { name, ...rest } = args;
  return encryptedLogGroups(id, { ...rest, groups: { logs: name } }).groups[0];
}

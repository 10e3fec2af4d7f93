/** Shared by the ElastiCache rules: how a message names the replication group. */
import type * as aws from "@pulumi/aws";
import type { ResourceValidationArgs } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { tryKnown } from "../../lib/known";

export type ReplicationGroup = Unwrap<aws.elasticache.ReplicationGroupArgs>;

export function describeReplicationGroup(group: ReplicationGroup, args: ResourceValidationArgs): string {
  const id = tryKnown(() => group.replicationGroupId);
  return `ElastiCache replication group '${id.known && id.value ? id.value : args.name}'`;
}

/** Shared by the RDS rules: which instance a message is about, and whether it is a read replica. */
import * as aws from "@pulumi/aws";
import type { ResourceValidationArgs } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { isSet, tryKnown } from "../../lib/known";

export type RdsInstance = Unwrap<aws.rds.InstanceArgs>;

export function describeInstance(instance: RdsInstance, args: ResourceValidationArgs): string {
  const identifier = tryKnown(() => instance.identifier);
  return `RDS instance '${identifier.known && identifier.value ? identifier.value : args.name}'`;
}

/**
 * Replicas inherit encryption from their source and take no automated backups or Multi-AZ of their own in
 * our design (the primary carries those), so some rules skip them. Presence is enough: the source's
 * identifier is often computed.
 */
export function isReadReplica(instance: RdsInstance): boolean {
  return isSet(instance, "replicateSourceDb");
}

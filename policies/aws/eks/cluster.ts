/** Shared by the EKS rules: how a message names the cluster. */
import type * as aws from "@pulumi/aws";
import type { ResourceValidationArgs } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { tryKnown } from "../../lib/known";

export type EksCluster = Unwrap<aws.eks.ClusterArgs>;

export function describeCluster(cluster: EksCluster, args: ResourceValidationArgs): string {
  const name = tryKnown(() => cluster.name);
  return `EKS cluster '${name.known && name.value ? name.value : args.name}'`;
}

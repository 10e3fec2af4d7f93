import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { autoscalingUsesKey, kmsKeyPolicy } from "../aws/kms";

/** The cluster's default StorageClass (Prometheus, Alertmanager): its volumes outlive their claims. */
export const DEFAULT_STORAGE_CLASS = "gp3";
/** Scratch space (the backup job's dump): the volume goes with its claim. */
export const SCRATCH_STORAGE_CLASS = "gp3-scratch";

/**
 * The customer key of every EBS volume of the cluster: the nodes' root disks (launched by EC2
 * Auto Scaling, whose service-linked role the policy names, as AWS requires for a customer key in
 * a launch template) and the volumes the EBS CSI driver creates (its role gets the key through
 * IAM: `ebsCsiKeyPolicy`).
 */
export function volumeKey(args: {
  clusterName: string;
  autoscalingRoleArn: pulumi.Input<string>;
  provider: aws.Provider;
  parent: pulumi.Resource;
  protect?: boolean;
}): aws.kms.Key {
  return new aws.kms.Key(
    "volumes-key",
    {
      description: `${args.clusterName} EBS volumes: node root disks and persistent volumes`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: kmsKeyPolicy(args.provider, undefined, autoscalingUsesKey(args.autoscalingRoleArn)),
      tags: { Name: `${args.clusterName}-volumes` },
    },
    { parent: args.parent, provider: args.provider, protect: args.protect },
  );
}

/**
 * What the EBS CSI driver needs to create, attach and detach volumes under a customer key (the
 * driver's IAM documentation, "KMS key encryption"): grants for AWS resources only, and the key's
 * data operations.
 */
export function ebsCsiKeyPolicy(keyArn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        Resource: keyArn,
        Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
      },
      {
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: keyArn,
      },
    ],
  });
}

/**
 * The tags a StorageClass gives its volumes: these keys of the stack's tags, in this order. A
 * class's parameters are immutable (a change is a replacement: pulumi-kubernetes diff.go), so a tag
 * added to every AWS resource later must not reach them; adding one here is a deliberate change.
 */
export const VOLUME_TAG_KEYS = ["project", "environment", "stack", "data-classification"] as const;

/**
 * The EBS CSI driver's StorageClass parameters: gp3, encrypted with the cluster's key, and tagged
 * with the stack's {@link VOLUME_TAG_KEYS} (`tagSpecification_<n>`: key=value, the driver's tagging docs).
 */
export function gp3Parameters(
  keyArn: pulumi.Input<string>,
  tags: Record<string, string>,
): Record<string, pulumi.Input<string>> {
  const kept = VOLUME_TAG_KEYS.filter((key) => tags[key] !== undefined);
  return {
    type: "gp3",
    fsType: "ext4",
    encrypted: "true",
    kmsKeyId: keyArn,
    ...Object.fromEntries(kept.map((key, i) => [`tagSpecification_${i + 1}`, `${key}=${tags[key]}`])),
  };
}

/**
 * gp3 (default; `Retain`: a deleted claim never takes Prometheus' data with it) and gp3-scratch
 * (`Delete`: a job's scratch volume, such as the backup's full pg_dump, is destroyed with its
 * claim instead of lingering as a Released volume nobody deletes). Both bind where the pod lands.
 */
export function storageClasses(args: {
  keyArn: pulumi.Input<string>;
  tags: Record<string, string>;
  provider: k8s.Provider;
  parent: pulumi.Resource;
}): { default: k8s.storage.v1.StorageClass; scratch: k8s.storage.v1.StorageClass } {
  // The API refuses any update of a class's provisioner, parameters, reclaimPolicy and
  // volumeBindingMode (kubernetes pkg/apis/storage/validation, ValidateStorageClassUpdate); the
  // provider replaces on the first two only and would send the others as a patch the API rejects.
  // So those are replacements too, deleted first: the name is fixed, and a class exists only to
  // provision new volumes (bound volumes keep theirs).
  const opts = {
    parent: args.parent,
    provider: args.provider,
    replaceOnChanges: ["reclaimPolicy", "volumeBindingMode"],
    deleteBeforeReplace: true,
  };
  const parameters = gp3Parameters(args.keyArn, args.tags);
  const common = {
    provisioner: "ebs.csi.aws.com",
    parameters,
    allowVolumeExpansion: true,
    volumeBindingMode: "WaitForFirstConsumer",
  };
  return {
    default: new k8s.storage.v1.StorageClass(
      DEFAULT_STORAGE_CLASS,
      {
        metadata: {
          name: DEFAULT_STORAGE_CLASS,
          annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
        },
        reclaimPolicy: "Retain",
        ...common,
      },
      opts,
    ),
    scratch: new k8s.storage.v1.StorageClass(
      SCRATCH_STORAGE_CLASS,
      { metadata: { name: SCRATCH_STORAGE_CLASS }, reclaimPolicy: "Delete", ...common },
      opts,
    ),
  };
}

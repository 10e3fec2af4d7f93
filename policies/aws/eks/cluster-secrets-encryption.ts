/**
 * Kubernetes Secrets (database passwords, API keys) are only base64 in etcd unless envelope-encrypted with a
 * KMS key. The key's ARN is usually computed, so only its presence is checked.
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { resourcePolicy } from "../../lib/define";
import { isSet } from "../../lib/known";
import { awsFoundationalControl } from "../frameworks";
import { describeCluster } from "./cluster";
import { configSchema } from "../../lib/config";

export const eksClusterSecretsEncryption = resourcePolicy({
  name: "aws-eks-cluster-secrets-encryption",
  description: "EKS clusters envelope-encrypt Kubernetes Secrets with a KMS key.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_58"], awsSecurityHub: ["EKS.3"] },
  framework: awsFoundationalControl("eks", "EKS.3 EKS clusters should use encrypted Kubernetes secrets"),
  tags: ["aws", "security", "lgpd"],
  remediationSteps:
    'Set encryptionConfig: { resources: ["secrets"], provider: { keyArn: <a KMS key with rotation> } }.',
  // No settings of its own; the empty schema still lets the CLI check its entry.
  configSchema: configSchema(),
  validateResource: validateResourceOfType(aws.eks.Cluster, (cluster, args, reportViolation) => {
    const encryption = cluster.encryptionConfig;
    const coversSecrets = (encryption?.resources ?? []).includes("secrets");
    if (!coversSecrets || !isSet(encryption?.provider, "keyArn")) {
      reportViolation(
        `Set encryptionConfig on ${describeCluster(cluster, args)} with resources ["secrets"] and a KMS keyArn.`,
      );
    }
  }),
});

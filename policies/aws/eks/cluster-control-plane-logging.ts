/**
 * The control-plane logs are the cluster's audit trail (who read which Secret, who exec'd into which pod);
 * LGPD incident response needs them. All five log types go to CloudWatch.
 */
import * as aws from "@pulumi/aws";
import { validateResourceOfType } from "@pulumi/policy";
import { configSchema, readConfig, stringList } from "../../lib/config";
import { resourcePolicy } from "../../lib/define";
import { awsFoundationalControl } from "../frameworks";
import { describeCluster } from "./cluster";

const defaults = { requiredLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"] };

export const eksClusterControlPlaneLogging = resourcePolicy({
  name: "aws-eks-cluster-control-plane-logging",
  description: "EKS clusters send every control-plane log type to CloudWatch.",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_AWS_37"], awsSecurityHub: ["EKS.8"] },
  framework: awsFoundationalControl("eks", "EKS.8 EKS clusters should have audit logging enabled"),
  tags: ["aws", "security", "audit", "lgpd"],
  remediationSteps:
    'Set enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"].',
  configSchema: configSchema({
    requiredLogTypes: stringList("Control-plane log types that must be enabled.", defaults.requiredLogTypes),
  }),
  validateResource: validateResourceOfType(aws.eks.Cluster, (cluster, args, reportViolation) => {
    const { requiredLogTypes } = readConfig(args, defaults);
    const enabled = cluster.enabledClusterLogTypes ?? [];
    const missing = requiredLogTypes.filter((type) => !enabled.includes(type));
    if (missing.length > 0) {
      reportViolation(
        `Add ${missing.join(", ")} to enabledClusterLogTypes of ${describeCluster(cluster, args)}.`,
      );
    }
  }),
});

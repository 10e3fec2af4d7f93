/**
 * An HPA whose floor is one replica gives no redundancy at night; one whose ceiling is unbounded can turn a
 * traffic spike (or a bug) into a node-pool-sized bill. Both bounds come from the stack's config.
 */
import * as k8s from "@pulumi/kubernetes";
import { configSchema } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import {
  defaultKubernetesScope,
  inScope,
  kubernetesScopeSchema,
  namespaceOf,
  nameOf,
  readScopedConfig,
  type KubernetesScope,
} from "./workloads";

interface HpaBoundsConfig extends KubernetesScope {
  minReplicasFloor: number;
  maxReplicasCeiling: number;
}

const defaults: HpaBoundsConfig = { ...defaultKubernetesScope, minReplicasFloor: 2, maxReplicasCeiling: 20 };

export const hpaReplicaBounds = resourcePolicy({
  name: "k8s-hpa-replica-bounds",
  description:
    "HorizontalPodAutoscalers keep minReplicas <= maxReplicas, minReplicas at or above the stack's floor and " +
    "maxReplicas at or below its ceiling.",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: {
    kubeScore: ["horizontalpodautoscaler-replicas"],
    polaris: ["hpaMinAvailability", "hpaMaxAvailability"],
  },
  tags: ["kubernetes", "reliability", "cost"],
  remediationSteps:
    "Set spec.minReplicas to at least the floor (redundancy) and spec.maxReplicas to at most the ceiling " +
    "(cost and capacity bound) configured for the stack.",
  configSchema: configSchema(kubernetesScopeSchema, {
    minReplicasFloor: {
      type: "integer",
      minimum: 1,
      description: "Smallest minReplicas an HPA may set.",
      default: defaults.minReplicasFloor,
    },
    maxReplicasCeiling: {
      type: "integer",
      minimum: 1,
      description: "Largest maxReplicas an HPA may set.",
      default: defaults.maxReplicasCeiling,
    },
  }),
  validateResource: (args, reportViolation) => {
    const hpa = args.asType(k8s.autoscaling.v2.HorizontalPodAutoscaler);
    if (!hpa) {
      return args.notApplicable("Policy only applies to autoscaling/v2 HorizontalPodAutoscalers.");
    }
    const config = readScopedConfig(args, defaults);
    const namespace = namespaceOf(hpa.metadata, args.provider);
    const name = nameOf(hpa.metadata, args.name);
    if (!inScope(config, namespace, name) || !hpa.spec) {
      return;
    }
    const where = `HorizontalPodAutoscaler ${namespace}/${name}`;
    // The API server defaults minReplicas to 1.
    const min = hpa.spec.minReplicas ?? 1;
    const max = hpa.spec.maxReplicas;
    if (min > max) {
      reportViolation(`Make spec.minReplicas (${min}) of ${where} no larger than spec.maxReplicas (${max}).`);
    }
    if (min < config.minReplicasFloor) {
      reportViolation(
        `Raise spec.minReplicas of ${where} from ${min} to at least ${config.minReplicasFloor}.`,
      );
    }
    if (max > config.maxReplicasCeiling) {
      reportViolation(
        `Lower spec.maxReplicas of ${where} from ${max} to at most ${config.maxReplicasCeiling}.`,
      );
    }
  },
});

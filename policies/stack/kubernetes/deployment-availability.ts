/**
 * In production a Deployment must survive both load and maintenance: an HPA scales it with demand, and a
 * PodDisruptionBudget keeps enough pods running while nodes are drained (upgrades, scale-in). Which stacks
 * demand this is the policy config's decision (mandatory in production).
 */
import { configSchema } from "../../lib/config";
import { stackPolicy } from "../../lib/define";
import {
  defaultKubernetesScope,
  inScope,
  kubernetesScopeSchema,
  readScopedConfig,
  type KubernetesScope,
} from "../../kubernetes/workloads";
import { DeferredUnknowns } from "../graph";
import {
  anyLinked,
  autoscalers,
  deployments,
  describeObject,
  disruptionBudgets,
  scales,
  selects,
} from "./workload-graph";

interface AvailabilityConfig extends KubernetesScope {
  requireHorizontalPodAutoscaler: boolean;
  requirePodDisruptionBudget: boolean;
}

const defaults: AvailabilityConfig = {
  ...defaultKubernetesScope,
  requireHorizontalPodAutoscaler: true,
  requirePodDisruptionBudget: true,
};

export const deploymentAvailability = stackPolicy({
  name: "k8s-deployment-has-hpa-and-pdb",
  description:
    "Every Deployment is scaled by a HorizontalPodAutoscaler (scaleTargetRef kind + name, same namespace) and " +
    "protected by a PodDisruptionBudget that selects its pods.",
  severity: "high",
  enforcementLevel: "advisory",
  mirrors: {
    kubeScore: ["deployment-has-poddisruptionbudget", "horizontalpodautoscaler-has-target"],
    polaris: ["missingPodDisruptionBudget"],
  },
  tags: ["kubernetes", "reliability"],
  remediationSteps:
    "Add an autoscaling/v2 HorizontalPodAutoscaler whose scaleTargetRef names the Deployment, and a policy/v1 " +
    "PodDisruptionBudget in the same namespace whose selector matches the Deployment's pod labels " +
    "(maxUnavailable: 1 is a good default).",
  configSchema: configSchema(kubernetesScopeSchema, {
    requireHorizontalPodAutoscaler: {
      type: "boolean",
      description: "Require an HPA for every Deployment.",
      default: defaults.requireHorizontalPodAutoscaler,
    },
    requirePodDisruptionBudget: {
      type: "boolean",
      description: "Require a PDB selecting every Deployment's pods.",
      default: defaults.requirePodDisruptionBudget,
    },
  }),
  validateStack: (args, reportViolation) => {
    const config = readScopedConfig(args, defaults);
    const deferred = new DeferredUnknowns();
    const workloads = deployments(args.resources);
    const hpas = autoscalers(args.resources);
    const pdbs = disruptionBudgets(args.resources);
    if (workloads.unknown) {
      deferred.remember(workloads.unknown);
    }
    for (const deployment of workloads.objects.filter((d) => inScope(config, d.namespace, d.name))) {
      const requirements = [
        {
          required: config.requireHorizontalPodAutoscaler,
          found: anyLinked(hpas, (hpa) => scales(hpa, deployment)),
          fix:
            `Add a HorizontalPodAutoscaler in namespace ${deployment.namespace} with scaleTargetRef ` +
            `{ kind: Deployment, name: ${deployment.name} }`,
        },
        {
          required: config.requirePodDisruptionBudget,
          found: anyLinked(pdbs, (pdb) => selects(pdb, deployment)),
          fix: `Add a PodDisruptionBudget in namespace ${deployment.namespace} whose selector matches the pods of ${deployment.name}`,
        },
      ];
      for (const { required, found, fix } of requirements) {
        if (!required || found === true) {
          continue;
        }
        if (found === false) {
          reportViolation(`${fix} (${describeObject(deployment)} has none).`, deployment.resource.urn);
        } else {
          deferred.remember(found);
        }
      }
    }
    deferred.rethrow();
  },
});

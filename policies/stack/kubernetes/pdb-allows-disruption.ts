/**
 * A PodDisruptionBudget that allows zero disruptions makes every node drain hang: cluster upgrades and
 * scale-in stall until someone deletes the PDB by hand. That happens with maxUnavailable 0 / "0%", with
 * minAvailable "100%", or with a minAvailable that reaches the workload's (minimum) replica count.
 */
import { configSchema } from "../../lib/config";
import { stackPolicy } from "../../lib/define";
import { tryKnown } from "../../lib/known";
import {
  defaultKubernetesScope,
  inScope,
  kubernetesScopeSchema,
  readScopedConfig,
} from "../../kubernetes/workloads";
import { DeferredUnknowns } from "../graph";
import {
  autoscalers,
  describeObject,
  disruptionBudgets,
  minimumReplicas,
  replicatedWorkloads,
  selects,
} from "./workload-graph";

type IntOrPercent = number | string;

/** How many pods `value` stands for out of `total`; Kubernetes rounds PDB percentages up. */
export function scaledCount(value: IntOrPercent, total: number): number | undefined {
  if (typeof value === "number") {
    return value;
  }
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  if (percent) {
    return Math.ceil((total * Number(percent[1])) / 100);
  }
  return /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

export const pdbAllowsDisruption = stackPolicy({
  name: "k8s-pdb-allows-disruption",
  description:
    "PodDisruptionBudgets always allow at least one disruption (no maxUnavailable 0, no minAvailable at or " +
    "above the replica count or 100%).",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: { polaris: ["pdbDisruptionsIsZero"], other: ["Gatekeeper k8spoddisruptionbudget"] },
  tags: ["kubernetes", "reliability", "operations"],
  remediationSteps:
    "Use maxUnavailable: 1 (or a percentage), or a minAvailable lower than the workload's minimum replica count.",
  configSchema: configSchema(kubernetesScopeSchema),
  validateStack: (args, reportViolation) => {
    const scope = readScopedConfig(args, defaultKubernetesScope);
    const deferred = new DeferredUnknowns();
    const pdbs = disruptionBudgets(args.resources);
    const workloads = replicatedWorkloads(args.resources);
    const hpas = autoscalers(args.resources);
    for (const pdb of pdbs.objects.filter((p) => inScope(scope, p.namespace, p.name))) {
      deferred.attempt(() => {
        const spec = pdb.resource.props["spec"] as {
          minAvailable?: IntOrPercent;
          maxUnavailable?: IntOrPercent;
        };
        const where = describeObject(pdb);
        if (spec?.maxUnavailable !== undefined && scaledCount(spec.maxUnavailable, 1) === 0) {
          reportViolation(
            `Set maxUnavailable of ${where} to at least 1 (it is ${spec.maxUnavailable}).`,
            pdb.resource.urn,
          );
          return;
        }
        if (spec?.minAvailable === undefined) {
          return;
        }
        if (spec.minAvailable === "100%") {
          reportViolation(
            `Lower minAvailable of ${where} below 100%, or use maxUnavailable: 1.`,
            pdb.resource.urn,
          );
          return;
        }
        for (const workload of workloads.objects) {
          const selected = tryKnown(() => selects(pdb, workload));
          if (!selected.known) {
            deferred.remember(selected.error);
            continue;
          }
          if (!selected.value) {
            continue;
          }
          const replicas = minimumReplicas(workload, hpas.objects);
          const required = scaledCount(spec.minAvailable, replicas);
          if (required !== undefined && required >= replicas) {
            reportViolation(
              `Lower minAvailable of ${where} (${spec.minAvailable}) below the ${replicas} replica(s) ` +
                `${describeObject(workload)} may run with, or use maxUnavailable: 1; as it is, no pod can be evicted.`,
              pdb.resource.urn,
            );
          }
        }
      });
    }
    if (pdbs.unknown) {
      deferred.remember(pdbs.unknown);
    }
    deferred.rethrow();
  },
});

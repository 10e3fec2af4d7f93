/**
 * Limits set, but sane: no container may claim more than a node-sized slice, and the gap between what it
 * reserves (request) and what it may burst to (limit) stays bounded, the way a LimitRange's
 * maxLimitRequestRatio would enforce it in the cluster. Memory gets a tighter ratio than CPU because memory
 * overcommit ends in OOM kills while CPU overcommit only throttles.
 */
import { configSchema } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import { parseQuantity, quantitySchemaPattern } from "./quantity";
import {
  containersOf,
  defaultKubernetesScope,
  describeContainer,
  describeWorkload,
  kubernetesScopeSchema,
  validateWorkloads,
  type KubernetesScope,
} from "./workloads";

interface ResourceLimitsConfig extends KubernetesScope {
  maxCpuLimit: string;
  maxMemoryLimit: string;
  maxCpuLimitToRequestRatio: number;
  maxMemoryLimitToRequestRatio: number;
}

const defaults: ResourceLimitsConfig = {
  ...defaultKubernetesScope,
  maxCpuLimit: "4",
  maxMemoryLimit: "8Gi",
  maxCpuLimitToRequestRatio: 8,
  maxMemoryLimitToRequestRatio: 4,
};

type Resource = "cpu" | "memory";

export const containerResourceLimitsBounded = resourcePolicy({
  name: "k8s-container-resource-limits-bounded",
  description:
    "Container CPU and memory limits stay under the stack's maxima and within the allowed limit/request ratio.",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: { other: ["Kubernetes LimitRange max and maxLimitRequestRatio"] },
  tags: ["kubernetes", "reliability", "cost"],
  remediationSteps:
    "Lower resources.limits to the stack's maximum, or raise resources.requests so that limit / request " +
    "stays within the configured ratio (or change the bound in policies/config/<stack>.json with a reason).",
  configSchema: configSchema(kubernetesScopeSchema, {
    maxCpuLimit: {
      type: "string",
      pattern: quantitySchemaPattern,
      description: "Largest CPU limit one container may set (a Kubernetes quantity).",
      default: defaults.maxCpuLimit,
    },
    maxMemoryLimit: {
      type: "string",
      pattern: quantitySchemaPattern,
      description: "Largest memory limit one container may set (a Kubernetes quantity).",
      default: defaults.maxMemoryLimit,
    },
    maxCpuLimitToRequestRatio: {
      type: "number",
      minimum: 1,
      description: "Largest allowed CPU limit / CPU request.",
      default: defaults.maxCpuLimitToRequestRatio,
    },
    maxMemoryLimitToRequestRatio: {
      type: "number",
      minimum: 1,
      description: "Largest allowed memory limit / memory request.",
      default: defaults.maxMemoryLimitToRequestRatio,
    },
  }),
  validateResource: validateWorkloads(defaults, (workload, config, reportViolation) => {
    const bounds: Record<Resource, { max: string; ratio: number }> = {
      cpu: { max: config.maxCpuLimit, ratio: config.maxCpuLimitToRequestRatio },
      memory: { max: config.maxMemoryLimit, ratio: config.maxMemoryLimitToRequestRatio },
    };
    for (const entry of containersOf(workload.podSpec, { includeInit: true })) {
      const where = `${describeContainer(entry)} of ${describeWorkload(workload)}`;
      for (const resource of ["cpu", "memory"] as const) {
        const limitText = entry.container.resources?.limits?.[resource];
        const requestText = entry.container.resources?.requests?.[resource];
        const limit = limitText === undefined ? undefined : parseQuantity(limitText);
        const request = requestText === undefined ? undefined : parseQuantity(requestText);
        if (limitText !== undefined && limit === undefined) {
          reportViolation(
            `Fix the ${resource} limit '${limitText}' of ${where}; it is not a valid quantity.`,
          );
          continue;
        }
        if (requestText !== undefined && request === undefined) {
          reportViolation(
            `Fix the ${resource} request '${requestText}' of ${where}; it is not a valid quantity.`,
          );
          continue;
        }
        // A missing limit or request is k8s-container-resources-set's finding, not this rule's.
        if (limit === undefined) {
          continue;
        }
        const max = parseQuantity(bounds[resource].max) ?? Infinity;
        if (limit > max) {
          reportViolation(
            `Lower the ${resource} limit of ${where} from ${limitText} to at most ${bounds[resource].max}.`,
          );
        }
        if (request !== undefined && request > 0 && limit / request > bounds[resource].ratio) {
          reportViolation(
            `Raise the ${resource} request (${requestText}) or lower the limit (${limitText}) of ${where}: ` +
              `limit / request is ${+(limit / request).toFixed(2)}, above the allowed ${bounds[resource].ratio}.`,
          );
        }
      }
    }
  }),
});

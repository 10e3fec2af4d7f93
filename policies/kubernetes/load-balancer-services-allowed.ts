/**
 * Every public entry point is the ingress controller behind Cloudflare, where TLS, WAF and rate limits
 * apply. Any other Service of type LoadBalancer would open a second, unprotected door to the internet.
 */
import * as k8s from "@pulumi/kubernetes";
import { configSchema, readConfig, reasonsSchema, stringList } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import { globMatches } from "../lib/glob";
import { namespaceOf, nameOf } from "./workloads";

interface LoadBalancerConfig {
  allowedLoadBalancerServices: string[];
}

const defaults: LoadBalancerConfig = { allowedLoadBalancerServices: [] };

export const loadBalancerServicesAllowed = resourcePolicy({
  name: "k8s-load-balancer-services-allowed",
  description: "Only the allowed Services (the ingress controller) are of type LoadBalancer.",
  severity: "high",
  enforcementLevel: "mandatory",
  mirrors: { kubeScore: ["service-type"], other: ["Gatekeeper k8sblockloadbalancer"] },
  tags: ["kubernetes", "security", "network"],
  remediationSteps:
    "Make the Service type ClusterIP and expose it through an Ingress; if it is an ingress controller, add " +
    "its 'namespace/name' to allowedLoadBalancerServices in policies/config/<stack>.json.",
  configSchema: configSchema({
    allowedLoadBalancerServices: stringList(
      "Services allowed to be of type LoadBalancer, as 'namespace/name' patterns (* matches any run of characters).",
      defaults.allowedLoadBalancerServices,
    ),
    ...reasonsSchema,
  }),
  validateResource: (args, reportViolation) => {
    const service = args.asType(k8s.core.v1.Service);
    if (!service) {
      return args.notApplicable("Policy only applies to core/v1 Services.");
    }
    if (service.spec?.type !== "LoadBalancer") {
      return;
    }
    const config = readConfig(args, defaults);
    const id = `${namespaceOf(service.metadata, args.provider)}/${nameOf(service.metadata, args.name)}`;
    if (!config.allowedLoadBalancerServices.some((pattern) => globMatches(pattern, id))) {
      reportViolation(
        `Change Service ${id} to type ClusterIP and route it through the ingress controller; only ` +
          `${config.allowedLoadBalancerServices.join(", ") || "no Services"} may be of type LoadBalancer here.`,
      );
    }
  },
});

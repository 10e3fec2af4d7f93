/**
 * Snippet annotations paste raw NGINX configuration from any Ingress author into the shared controller:
 * a path to read the controller's secrets or disable TLS for every tenant (CVE-2021-25742 and successors).
 * Both NGINX controllers' snippet annotations are refused: nginx.org/*-snippets (F5 NGINX Ingress
 * Controller, ours) and nginx.ingress.kubernetes.io/*-snippet (the retired community controller).
 */
import * as k8s from "@pulumi/kubernetes";
import { configSchema, readConfig, stringList } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import { namespaceOf, nameOf } from "./workloads";

interface SnippetConfig {
  forbiddenAnnotationPatterns: string[];
}

const defaults: SnippetConfig = {
  forbiddenAnnotationPatterns: [
    "^nginx\\.org/[a-z0-9-]*snippets?$",
    "^nginx\\.ingress\\.kubernetes\\.io/[a-z0-9-]*snippets?$",
  ],
};

export const ingressNoSnippetAnnotations = resourcePolicy({
  name: "k8s-ingress-no-snippet-annotations",
  description: "Ingresses carry no NGINX configuration-snippet annotations.",
  severity: "critical",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_K8S_153"], other: ["CVE-2021-25742"] },
  tags: ["kubernetes", "security", "network"],
  remediationSteps:
    "Remove the snippet annotation and express the need with the controller's dedicated annotations or " +
    "ConfigMap keys (nginx.org/* settings, VirtualServer policies); keep controller.enableSnippets off.",
  configSchema: configSchema({
    forbiddenAnnotationPatterns: stringList(
      "Regular expressions; an Ingress annotation key matching any of them is refused.",
      defaults.forbiddenAnnotationPatterns,
    ),
  }),
  validateResource: (args, reportViolation) => {
    const ingress = args.asType(k8s.networking.v1.Ingress);
    if (!ingress) {
      return args.notApplicable("Policy only applies to networking.k8s.io/v1 Ingresses.");
    }
    const config = readConfig(args, defaults);
    const patterns = config.forbiddenAnnotationPatterns.map((pattern) => new RegExp(pattern));
    const id = `${namespaceOf(ingress.metadata, args.provider)}/${nameOf(ingress.metadata, args.name)}`;
    for (const key of Object.keys(ingress.metadata?.annotations ?? {})) {
      if (patterns.some((pattern) => pattern.test(key))) {
        reportViolation(
          `Remove annotation '${key}' from Ingress ${id}; snippets inject raw NGINX configuration.`,
        );
      }
    }
  },
});

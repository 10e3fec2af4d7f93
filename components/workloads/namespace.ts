import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { APP_NAMESPACE } from "../names";

export { APP_NAMESPACE };

/**
 * A namespace under Pod Security Admission: `enforce` is what the API server refuses below; audit and
 * warn are always `restricted`, so anything looser than restricted is at least reported.
 */
export function podSecurityNamespace(
  name: string,
  enforce: "restricted" | "baseline" | "privileged",
  opts: pulumi.CustomResourceOptions,
  labels: Record<string, string> = {},
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    name,
    {
      metadata: {
        name,
        labels: {
          ...labels,
          "pod-security.kubernetes.io/enforce": enforce,
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
    },
    opts,
  );
}

/**
 * The app namespace under Pod Security Admission `restricted`: the API server itself refuses a
 * pod that runs as root, escalates privileges or keeps capabilities, whatever a manifest says.
 */
export function appNamespace(provider: k8s.Provider, parent?: pulumi.Resource): k8s.core.v1.Namespace {
  return podSecurityNamespace(APP_NAMESPACE, "restricted", { provider, parent }, { app: "healthflow" });
}

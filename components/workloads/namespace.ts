import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { APP_NAMESPACE } from "../names";

export { APP_NAMESPACE };

/**
 * The app namespace under Pod Security Admission `restricted`: the API server itself refuses a
 * pod that runs as root, escalates privileges or keeps capabilities, whatever a manifest says.
 */
export function appNamespace(provider: k8s.Provider, parent?: pulumi.Resource): k8s.core.v1.Namespace {
  const level = "restricted";
  return new k8s.core.v1.Namespace(
    APP_NAMESPACE,
    {
      metadata: {
        name: APP_NAMESPACE,
        labels: {
          app: "healthflow",
          "pod-security.kubernetes.io/enforce": level,
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/audit": level,
          "pod-security.kubernetes.io/warn": level,
        },
      },
    },
    { provider, parent },
  );
}

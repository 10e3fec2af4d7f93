import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AppConfig } from "../../settings";
import { AppName, appIdentity, DatabaseCaMount, hpaSpec, podTemplate, ROLLING_UPDATE } from "./spec";

/** One app of HealthFlow on Kubernetes. */
export interface AppServiceArgs {
  app: AppName;
  /** `healthflow:apps.<app>`: image, port, resources, autoscaling. Required. */
  config: AppConfig;
  /** The namespace (the Namespace resource's name, so everything waits for it). Required. */
  namespace: pulumi.Input<string>;
  configMapName: pulumi.Input<string>;
  secretName: pulumi.Input<string>;
  /** A ClusterIP Service for the app's port. Default: true when the app has a port. */
  service?: boolean;
  provider: k8s.Provider;
  /** What must be done before this app rolls out (the api: its migrations). */
  rolloutAfter?: pulumi.Resource[];
  /** The RDS CA bundle to mount (DATABASE_URL verifies the server against it). Default: none. */
  databaseCa?: DatabaseCaMount;
  /** The checksum of the ConfigMaps and Secret above (components/checksum.ts). Required. */
  configChecksum: pulumi.Input<string>;
  /** The registry's pull Secret, when the images are private. Default: none. */
  imagePullSecrets?: { name: string }[];
}

/**
 * Deployment + Service + HPA (autoscaling/v2) + PodDisruptionBudget + ServiceAccount, with stable
 * names so `kubectl get -o yaml` shows what the plan shows. The HPA owns the replica count.
 */
export class AppService extends pulumi.ComponentResource {
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service?: k8s.core.v1.Service;
  readonly serviceAccount: k8s.core.v1.ServiceAccount;

  constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:workloads:AppService", name, {}, opts);
    const id = appIdentity(args.app);
    const child = { parent: this, provider: args.provider };
    const metadata = { name: id.name, namespace: args.namespace, labels: id.labels };

    this.serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata, automountServiceAccountToken: false },
      child,
    );
    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata,
        spec: {
          // No `replicas`: the HPA sets it; a value here would fight the HPA on every update.
          selector: { matchLabels: id.selector },
          strategy: ROLLING_UPDATE,
          revisionHistoryLimit: 5,
          minReadySeconds: 5,
          template: podTemplate({
            app: args.app,
            config: args.config,
            serviceAccountName: this.serviceAccount.metadata.name,
            configMapName: args.configMapName,
            secretName: args.secretName,
            databaseCa: args.databaseCa,
            configChecksum: args.configChecksum,
            imagePullSecrets: args.imagePullSecrets,
          }),
        },
      },
      { ...child, dependsOn: args.rolloutAfter },
    );
    if ((args.service ?? args.config.port !== undefined) && args.config.port) {
      this.service = new k8s.core.v1.Service(
        `${name}-svc`,
        {
          metadata,
          spec: {
            type: "ClusterIP",
            selector: id.selector,
            ports: [{ name: "http", port: args.config.port, targetPort: "http", protocol: "TCP" }],
          },
        },
        child,
      );
    }
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      { metadata: { ...metadata, name: `${id.name}-hpa` }, spec: hpaSpec(args.app, args.config) },
      { ...child, dependsOn: [this.deployment] },
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      // One pod at a time: drains proceed, and never take the app down.
      {
        metadata: { ...metadata, name: `${id.name}-pdb` },
        spec: { maxUnavailable: 1, selector: { matchLabels: id.selector } },
      },
      child,
    );
    this.registerOutputs({ deployment: this.deployment.metadata.name, service: this.service?.metadata.name });
  }
}

import * as path from "path";
import type { Settings } from "../../settings";
import { CERT_MANAGER_NAMESPACE, INGRESS_CLASS } from "../names";

// The Helm values of the two charts, as plain functions of the settings. Every key path set here
// exists in the chart's own values.yaml (charts/<chart>/<version>/) and the merged values pass
// its values.schema.json: tests/components/ingress checks both, because Helm ignores an unknown
// key without a word.

type IngressSettings = NonNullable<Settings["ingress"]>;

/** The controller's release: its Service is `<release>-controller`, the name the LoadBalancer policy allows. */
export const CONTROLLER_RELEASE = "nginx-ingress";
export const CONTROLLER_SERVICE = `${CONTROLLER_RELEASE}-controller`;
/** The F5 NGINX Ingress Controller's chart, from the OCI registry its documentation names. */
export const NGINX_INGRESS_CHART = "oci://ghcr.io/nginx/charts/nginx-ingress";
export const CERT_MANAGER_CHART = { chart: "cert-manager", repo: "https://charts.jetstack.io" };

/** The nginx user of the controller's image. */
const NGINX_UID = 101;

/**
 * How the NLB checks a node for the controller's Service (`externalTrafficPolicy: Local`): HTTP on the
 * Service's health-check node port every 10 s, a 10 s timeout, unhealthy after 2 failures. These are
 * the AWS cloud provider's defaults for such a Service (kubernetes/cloud-provider-aws,
 * pkg/providers/v1/aws.go, buildNLBHealthCheckConfiguration), which no annotation of ours overrides.
 * kube-proxy fails that check on a node once the node has no ready controller pod (KEP-1669).
 */
export const NLB_HEALTH_CHECK = { intervalSeconds: 10, timeoutSeconds: 10, unhealthyThreshold: 2 };
/** The longest the NLB keeps sending new connections to a node after its last ready pod left. */
export const NLB_DRAIN_SECONDS =
  NLB_HEALTH_CHECK.intervalSeconds * NLB_HEALTH_CHECK.unhealthyThreshold + NLB_HEALTH_CHECK.timeoutSeconds;
/**
 * A leaving controller pod keeps serving this long before nginx is told to quit: the NLB's drain
 * window and a margin for the target's state to reach every NLB node.
 */
export const CONTROLLER_PRE_STOP_SECONDS = NLB_DRAIN_SECONDS + 10;
/**
 * How long nginx lets requests in flight finish once told to quit or reload (`worker_shutdown_timeout`):
 * the controller's default proxy read timeout (60 s), so every ordinary request ends; a WebSocket
 * (read timeout 3600 s) is closed then and its client reconnects. Without it, each reload's old
 * workers live as long as their longest WebSocket, up to an hour, within the pod's memory limit.
 */
export const WORKER_SHUTDOWN_TIMEOUT_SECONDS = 60;
/** The pod's grace period: the pause, the drain of requests in flight, and the process's exit. */
export const CONTROLLER_GRACE_SECONDS = CONTROLLER_PRE_STOP_SECONDS + WORKER_SHUTDOWN_TIMEOUT_SECONDS + 20;

/**
 * Restricted-profile container security: no escalation, read-only root, no capabilities, and with
 * a UID a non-root user (cert-manager sets runAsNonRoot on the pod; its values have no UID key).
 */
function lockedDown(extra: { runAsUser?: number; add?: string[] } = {}) {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    ...(extra.runAsUser === undefined ? {} : { runAsNonRoot: true, runAsUser: extra.runAsUser }),
    capabilities: { drop: ["ALL"], ...(extra.add ? { add: extra.add } : {}) },
  };
}

/** Spread replicas over zones first, then nodes (a preference: a small cluster still schedules them). */
function spreadOverZones(labels: Record<string, string>) {
  const term = (weight: number, topologyKey: string) => ({
    weight,
    podAffinityTerm: { labelSelector: { matchLabels: labels }, topologyKey },
  });
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        term(100, "topology.kubernetes.io/zone"),
        term(50, "kubernetes.io/hostname"),
      ],
    },
  };
}

/** Where the controller's pods find the CA the zone's client certificate must chain to. */
export const ORIGIN_PULL_CA_PATH = "/etc/origin-pull/ca.crt";

export interface ControllerValuesArgs {
  controller: IngressSettings["controller"];
  /** `controller.config.entries` (components/ingress/config.ts). */
  configEntries: Record<string, string>;
  /** CIDRs the load balancer accepts connections from: Cloudflare's IPv4 ranges. */
  sourceRanges: string[];
  /** Tags of the NLB, as AWS resources of the stack carry them. */
  loadBalancerTags: Record<string, string>;
  /**
   * The ConfigMap holding the origin-pull CA (`ca.crt`), mounted where ORIGIN_PULL_CA_PATH says.
   * Default: none (no client certificate is asked for).
   */
  originPullCaConfigMap?: string;
}

/** Values of the `nginx-ingress` chart. */
export function controllerValues(args: ControllerValuesArgs) {
  const { controller } = args;
  const highlyAvailable = controller.minReplicas >= 2;
  return {
    controller: {
      kind: "deployment",
      replicaCount: controller.minReplicas,
      autoscaling: {
        enabled: true,
        minReplicas: controller.minReplicas,
        maxReplicas: controller.maxReplicas,
        targetCPUUtilizationPercentage: 70,
        targetMemoryUtilizationPercentage: 80,
      },
      // One replica may go at a time (node drains, upgrades); never all of them.
      podDisruptionBudget: highlyAvailable ? { enabled: true, maxUnavailable: 1 } : { enabled: false },
      affinity: spreadOverZones({
        "app.kubernetes.io/name": "nginx-ingress",
        "app.kubernetes.io/instance": CONTROLLER_RELEASE,
      }),
      // Scale-in, rollouts and node drains drop no connection: the pod keeps serving until the NLB
      // has stopped sending it any, then nginx finishes what is in flight (worker-shutdown-timeout).
      lifecycle: { preStop: { sleep: { seconds: CONTROLLER_PRE_STOP_SECONDS } } },
      terminationGracePeriodSeconds: CONTROLLER_GRACE_SECONDS,
      resources: controller.resources,
      // The init container (copying /etc/nginx to the writable volume) gets the same bounds: the
      // pod's request is the larger of the two anyway, and the limit/request ratio stays the controller's.
      initContainerResources: controller.resources,
      podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
      // Binds 80/443 as the nginx user: NET_BIND_SERVICE is the one capability it keeps. A
      // read-only root filesystem makes the chart mount emptyDirs for nginx's writable paths.
      securityContext: lockedDown({ runAsUser: NGINX_UID, add: ["NET_BIND_SERVICE"] }),
      initContainerSecurityContext: lockedDown({ runAsUser: NGINX_UID }),
      ingressClass: { name: INGRESS_CLASS, create: true, setAsDefaultIngress: false },
      // Ingress resources only: no VirtualServer CRDs, so the controller's RBAC stays narrow.
      enableCustomResources: false,
      enableSnippets: false,
      enableLatencyMetrics: true,
      // F5's usage telemetry leaves the cluster; nothing of a health platform does unasked.
      telemetryReporting: { enable: false },
      config: { entries: args.configEntries },
      ...(args.originPullCaConfigMap
        ? {
            volumes: [{ name: "origin-pull-ca", configMap: { name: args.originPullCaConfigMap } }],
            volumeMounts: [
              { name: "origin-pull-ca", mountPath: path.posix.dirname(ORIGIN_PULL_CA_PATH), readOnly: true },
            ],
          }
        : {}),
      service: {
        create: true,
        type: "LoadBalancer",
        // Local: the NLB keeps the source address (a Cloudflare edge), which nginx then trusts
        // for CF-Connecting-IP; no second hop through another node.
        externalTrafficPolicy: "Local",
        annotations: {
          "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
          "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
          "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags": Object.entries(
            args.loadBalancerTags,
          )
            .map(([key, value]) => `${key}=${value}`)
            .join(","),
        },
        loadBalancerSourceRanges: args.sourceRanges,
      },
    },
    // Metrics on :9113 (container port "prometheus"), scraped by components/monitoring's PodMonitor.
    prometheus: { create: true, port: 9113 },
  };
}

const CERT_MANAGER_RESOURCES = {
  controller: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
  webhook: { requests: { cpu: "25m", memory: "64Mi" }, limits: { cpu: "100m", memory: "128Mi" } },
  cainjector: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
};

/** Values of the `cert-manager` chart: its CRDs, HA from 2 replicas, bounded and locked-down pods. */
export function certManagerValues(certManager: IngressSettings["certManager"]) {
  const replicas = certManager.replicas;
  const pod = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
  const component = (resources: (typeof CERT_MANAGER_RESOURCES)["controller"]) => ({
    replicaCount: replicas,
    // With neither bound set, the chart's PDB keeps one pod (minAvailable 1).
    podDisruptionBudget: { enabled: replicas >= 2 },
    resources,
    securityContext: pod,
    containerSecurityContext: lockedDown(),
  });
  return {
    crds: { enabled: true, keep: true },
    // Leader election in its own namespace instead of kube-system.
    global: { leaderElection: { namespace: CERT_MANAGER_NAMESPACE } },
    ...component(CERT_MANAGER_RESOURCES.controller),
    prometheus: { enabled: true },
    webhook: component(CERT_MANAGER_RESOURCES.webhook),
    cainjector: component(CERT_MANAGER_RESOURCES.cainjector),
    // A Helm hook, which Chart v4 never runs: certManagerReady.ts runs the same check as a Job.
    startupapicheck: { enabled: false },
  };
}

import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { AppConfig } from "../../settings";
import { API_METRICS_PORT } from "../../settings/catalog/ports";
import { CONFIG_CHECKSUM } from "../checksum";
import { kubernetesLabels } from "../names";

// Pure builders of the app's Kubernetes specs, from the guide's manifests made production-grade.
// Kept apart from the component so they are tested without mocks.

/** The uid and gid of the guide's Dockerfiles (`adduser --system --uid 1001`). */
export const APP_UID = 1001;

/** The api's metrics port (settings/catalog/ports.ts): scraped by Prometheus, never routed. */
export const METRICS_PORT = API_METRICS_PORT;

/**
 * Next.js's build output in the guide's web image (WORKDIR /app, standalone). Its default ISR cache
 * writes regenerated pages under .next/server and fetch results and optimised images under
 * .next/cache, so on a read-only root the whole directory is a volume, primed from the image.
 */
export const NEXT_DIR = "/app/.next";

export type AppName = "web" | "api" | "worker";

/** Stable names and labels: what `kubectl get` shows, and what selectors match. */
export function appIdentity(app: AppName) {
  const name = `healthflow-${app}`;
  return { name, selector: { app: name }, labels: kubernetesLabels(name, app) };
}

/**
 * The guide's HPA: CPU 70 % and memory 80 % of requests (from settings); scale down slowly
 * (300 s window, 10 % a minute), scale up at once (100 % or 4 pods per 15 s, whichever is more).
 */
export function hpaSpec(
  app: AppName,
  config: AppConfig,
): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec {
  const utilization = (name: string, averageUtilization: number) => ({
    type: "Resource",
    resource: { name, target: { type: "Utilization", averageUtilization } },
  });
  return {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: appIdentity(app).name },
    minReplicas: config.autoscaling.minReplicas,
    maxReplicas: config.autoscaling.maxReplicas,
    metrics: [
      utilization("cpu", config.autoscaling.cpuUtilization),
      utilization("memory", config.autoscaling.memoryUtilization),
    ],
    behavior: {
      scaleDown: {
        stabilizationWindowSeconds: 300,
        policies: [{ type: "Percent", value: 10, periodSeconds: 60 }],
      },
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: "Max",
        policies: [
          { type: "Percent", value: 100, periodSeconds: 15 },
          { type: "Pods", value: 4, periodSeconds: 15 },
        ],
      },
    },
  };
}

export interface PodSpecArgs {
  app: AppName;
  config: AppConfig;
  serviceAccountName: pulumi.Input<string>;
  configMapName: pulumi.Input<string>;
  secretName: pulumi.Input<string>;
  /** Seconds between leaving the Service's endpoints and SIGTERM: the load balancer's deregistration. */
  preStopSeconds?: number;
  /** The RDS CA bundle's ConfigMap and where to mount it (DATABASE_URL's sslrootcert). Default: none. */
  databaseCa?: DatabaseCaMount;
  /** The checksum of what the pod reads (components/checksum.ts): a change rolls the Deployment. */
  configChecksum: pulumi.Input<string>;
  /** The registry's pull Secret, when the images are private. Default: none. */
  imagePullSecrets?: { name: string }[];
}

/** A ConfigMap holding the RDS CA bundle, mounted read-only where the database URLs expect it. */
export interface DatabaseCaMount {
  configMap: pulumi.Input<string>;
  mountDir: string;
}

/** The volume and mount of the RDS CA bundle, for any pod that connects to PostgreSQL. */
export function databaseCaVolume(ca: DatabaseCaMount | undefined) {
  if (!ca) return { volumes: [], mounts: [] };
  return {
    volumes: [{ name: "rds-ca", configMap: { name: ca.configMap, defaultMode: 0o444 } }],
    mounts: [{ name: "rds-ca", mountPath: ca.mountDir, readOnly: true }],
  };
}

/** The guide's api health controller (GET /health, /health/live, /health/ready): an app's default. */
export const GUIDE_HEALTH_PATHS = {
  startup: "/health",
  liveness: "/health/live",
  readiness: "/health/ready",
};

/**
 * The container's probes from `apps.<app>.health`: HTTP GETs of its paths on the app's port, a TCP
 * connect to the port, or none (an app without a port). Startup allows 150 s (30 x 5 s).
 */
export function probes(config: AppConfig) {
  const health = config.health ?? GUIDE_HEALTH_PATHS;
  if (health === "none" || !config.port) return {};
  const check = (probe: keyof typeof GUIDE_HEALTH_PATHS) =>
    health === "tcp" ? { tcpSocket: { port: "http" } } : { httpGet: { path: health[probe], port: "http" } };
  return {
    startupProbe: { ...check("startup"), periodSeconds: 5, failureThreshold: 30 },
    livenessProbe: { ...check("liveness"), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    readinessProbe: { ...check("readiness"), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
  };
}

/** Where each app writes at run time; the root filesystem itself is read-only. */
function writableDirs(app: AppName): { name: string; mountPath: string; sizeLimit: string }[] {
  const dirs = [{ name: "tmp", mountPath: "/tmp", sizeLimit: "256Mi" }];
  if (app === "web") dirs.push({ name: "next", mountPath: NEXT_DIR, sizeLimit: "2Gi" });
  return dirs;
}

/** The container hardening every app, init and Job container shares. */
export const RESTRICTED_CONTAINER = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/**
 * web: copy the image's .next into the writable volume before the server starts, so Next.js finds
 * its build output there and can write its ISR cache next to it (as uid 1001, which the guide's
 * root-owned COPY would not allow even on a writable root).
 */
function initContainers(app: AppName, image: string): k8s.types.input.core.v1.Container[] {
  if (app !== "web") return [];
  return [
    {
      name: "prime-next",
      image,
      command: ["cp", "-R", `${NEXT_DIR}/.`, "/next/"],
      resources: {
        requests: { cpu: "100m", memory: "64Mi" },
        limits: { cpu: "500m", memory: "256Mi" },
      },
      securityContext: RESTRICTED_CONTAINER,
      volumeMounts: [{ name: "next", mountPath: "/next" }],
    },
  ];
}

/** The container's ports: the app's HTTP port, and the api's metrics port (scraped, never routed). */
function ports(app: AppName, config: AppConfig) {
  if (!config.port) return [];
  const http = [{ name: "http", containerPort: config.port, protocol: "TCP" }];
  return app === "api" ? [...http, { name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" }] : http;
}

function env(app: AppName, config: AppConfig) {
  if (!config.port) return [];
  const port = [{ name: "PORT", value: String(config.port) }];
  return app === "api" ? [...port, { name: "METRICS_PORT", value: String(METRICS_PORT) }] : port;
}

/**
 * The pod: non-root 1001 with a read-only root filesystem, no capabilities, RuntimeDefault
 * seccomp and no service-account token; probes on the guide's health controller; a preStop pause
 * so in-flight requests finish; spread over zones and hosts (the guide's anti-affinity).
 */
export function podTemplate(args: PodSpecArgs): k8s.types.input.core.v1.PodTemplateSpec {
  const { app, config } = args;
  const id = appIdentity(app);
  const preStop = args.preStopSeconds ?? 10;
  const dirs = writableDirs(app);
  const ca = databaseCaVolume(args.databaseCa);
  const spread = (topologyKey: string) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: id.selector },
  });
  return {
    metadata: { labels: id.labels, annotations: { [CONFIG_CHECKSUM]: args.configChecksum } },
    spec: {
      serviceAccountName: args.serviceAccountName,
      automountServiceAccountToken: false,
      ...(args.imagePullSecrets?.length ? { imagePullSecrets: args.imagePullSecrets } : {}),
      terminationGracePeriodSeconds: preStop + 30,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: APP_UID,
        runAsGroup: APP_UID,
        fsGroup: APP_UID,
        seccompProfile: { type: "RuntimeDefault" },
      },
      topologySpreadConstraints: [spread("topology.kubernetes.io/zone"), spread("kubernetes.io/hostname")],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchLabels: id.selector },
                topologyKey: "kubernetes.io/hostname",
              },
            },
          ],
        },
      },
      initContainers: initContainers(app, config.image),
      containers: [
        {
          name: app,
          image: config.image,
          ports: ports(app, config),
          env: env(app, config),
          envFrom: [{ configMapRef: { name: args.configMapName } }, { secretRef: { name: args.secretName } }],
          resources: config.resources,
          ...probes(config),
          lifecycle: { preStop: { sleep: { seconds: preStop } } },
          securityContext: RESTRICTED_CONTAINER,
          volumeMounts: [...dirs.map(({ name, mountPath }) => ({ name, mountPath })), ...ca.mounts],
        },
      ],
      volumes: [...dirs.map(({ name, sizeLimit }) => ({ name, emptyDir: { sizeLimit } })), ...ca.volumes],
    },
  };
}

/** Rolling updates add pods before removing any: capacity never drops during a rollout. */
export const ROLLING_UPDATE = {
  type: "RollingUpdate",
  rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" },
};

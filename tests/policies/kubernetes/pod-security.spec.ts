import { dropAllCapabilities } from "../../../policies/kubernetes/drop-all-capabilities";
import { noHostNamespaces } from "../../../policies/kubernetes/no-host-namespaces";
import { noHostPathVolumes } from "../../../policies/kubernetes/no-host-path-volumes";
import { noPrivilegeEscalation } from "../../../policies/kubernetes/no-privilege-escalation";
import { readOnlyRootFilesystem } from "../../../policies/kubernetes/read-only-root-filesystem";
import { runAsNonRoot } from "../../../policies/kubernetes/run-as-non-root";
import {
  compliantContainer,
  compliantPodSpec,
  expectLevelFromConfig,
  runRule,
  workload,
  workloadClasses,
  type Container,
  type PodSpec,
  type WorkloadKind,
} from "../fixtures";

const kinds = Object.keys(workloadClasses) as WorkloadKind[];
const securityContext = compliantContainer().securityContext as Record<string, unknown>;

function withSecurityContext(context: Record<string, unknown> | undefined, podSpec: Partial<PodSpec> = {}) {
  const container: Container = compliantContainer({ securityContext: context });
  return workload("Deployment", "api", compliantPodSpec({ containers: [container], ...podSpec }));
}

describe("k8s-run-as-non-root", () => {
  it.each(kinds)("accepts a %s with runAsNonRoot", async (kind) => {
    expect((await runRule(runAsNonRoot, [workload(kind, "api")])).violations).toEqual([]);
  });

  it("accepts runAsNonRoot set at pod level only", async () => {
    const resources = [
      withSecurityContext(
        { ...securityContext, runAsNonRoot: undefined, runAsUser: undefined },
        {
          securityContext: { runAsNonRoot: true },
        },
      ),
    ];
    expect((await runRule(runAsNonRoot, resources)).violations).toEqual([]);
  });

  it("accepts a non-zero runAsUser without runAsNonRoot", async () => {
    const resources = [withSecurityContext({ ...securityContext, runAsNonRoot: undefined, runAsUser: 101 })];
    expect((await runRule(runAsNonRoot, resources)).violations).toEqual([]);
  });

  it("refuses a container with no user settings", async () => {
    const { messages } = await runRule(runAsNonRoot, [
      withSecurityContext({ ...securityContext, runAsNonRoot: undefined, runAsUser: undefined }),
    ]);
    expect(messages).toEqual([
      "Set securityContext.runAsNonRoot: true for container 'api' of Deployment healthflow/api (pod or container level).",
    ]);
  });

  it("refuses UID 0 even when the pod asks for non-root", async () => {
    const { messages } = await runRule(runAsNonRoot, [
      withSecurityContext({ ...securityContext, runAsUser: 0 }, { securityContext: { runAsNonRoot: true } }),
    ]);
    expect(messages).toEqual([
      "Set runAsUser to a non-zero UID for container 'api' of Deployment healthflow/api; it is configured to run as root (UID 0).",
    ]);
  });

  it("lets the container override a non-root pod setting", async () => {
    const resources = [
      withSecurityContext(
        { ...securityContext, runAsNonRoot: false, runAsUser: undefined },
        {
          securityContext: { runAsNonRoot: true },
        },
      ),
    ];
    expect((await runRule(runAsNonRoot, resources)).violations).toHaveLength(1);
  });

  it("exempts workloads matching a configured exemption", async () => {
    const resources = [withSecurityContext({})];
    expect((await runRule(runAsNonRoot, resources, { exemptions: ["healthflow/a*"] })).violations).toEqual(
      [],
    );
    expect((await runRule(runAsNonRoot, resources, { exemptions: ["other/*"] })).violations).toHaveLength(1);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(runAsNonRoot, [withSecurityContext({})]);
  });
});

describe("k8s-no-privilege-escalation", () => {
  it.each(kinds)("accepts a %s with allowPrivilegeEscalation: false", async (kind) => {
    expect((await runRule(noPrivilegeEscalation, [workload(kind, "api")])).violations).toEqual([]);
  });

  it("refuses the default (unset), which allows escalation", async () => {
    const { messages } = await runRule(noPrivilegeEscalation, [
      withSecurityContext({ ...securityContext, allowPrivilegeEscalation: undefined }),
    ]);
    expect(messages).toEqual([
      "Set securityContext.allowPrivilegeEscalation: false on container 'api' of Deployment healthflow/api.",
    ]);
  });

  it("refuses privileged containers, init containers included", async () => {
    const privileged = compliantContainer({
      name: "setup",
      securityContext: { ...securityContext, privileged: true },
    });
    const resources = [workload("Deployment", "api", compliantPodSpec({ initContainers: [privileged] }))];
    const { messages } = await runRule(noPrivilegeEscalation, resources);
    expect(messages).toEqual([
      "Remove securityContext.privileged: true from init container 'setup' of Deployment healthflow/api.",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(noPrivilegeEscalation, [withSecurityContext({})]);
  });
});

describe("k8s-read-only-root-filesystem", () => {
  it.each(kinds)("accepts a %s with a read-only root filesystem", async (kind) => {
    expect((await runRule(readOnlyRootFilesystem, [workload(kind, "api")])).violations).toEqual([]);
  });

  it("refuses a writable root filesystem", async () => {
    const { messages } = await runRule(readOnlyRootFilesystem, [
      withSecurityContext({ ...securityContext, readOnlyRootFilesystem: false }),
    ]);
    expect(messages).toEqual([
      "Set securityContext.readOnlyRootFilesystem: true on container 'api' of Deployment healthflow/api, mounting an emptyDir where it needs to write.",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(readOnlyRootFilesystem, [withSecurityContext({})]);
  });
});

describe("k8s-drop-all-capabilities", () => {
  it.each(kinds)("accepts a %s that drops ALL", async (kind) => {
    expect((await runRule(dropAllCapabilities, [workload(kind, "api")])).violations).toEqual([]);
  });

  it("accepts NET_BIND_SERVICE added back by default", async () => {
    const resources = [
      withSecurityContext({ ...securityContext, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } }),
    ];
    expect((await runRule(dropAllCapabilities, resources)).violations).toEqual([]);
  });

  it("refuses keeping the runtime's defaults and adding dangerous capabilities", async () => {
    const resources = [
      withSecurityContext({ ...securityContext, capabilities: { drop: ["NET_RAW"], add: ["SYS_ADMIN"] } }),
    ];
    const { messages } = await runRule(dropAllCapabilities, resources);
    expect(messages).toEqual([
      "Set securityContext.capabilities.drop: [\"ALL\"] on container 'api' of Deployment healthflow/api.",
      "Remove capabilities SYS_ADMIN from securityContext.capabilities.add of container 'api' of Deployment healthflow/api (allowed: NET_BIND_SERVICE).",
    ]);
  });

  it("uses the configured list of capabilities that may be added back", async () => {
    const resources = [
      withSecurityContext({ ...securityContext, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } }),
    ];
    const { messages } = await runRule(dropAllCapabilities, resources, { allowedAddedCapabilities: [] });
    expect(messages).toEqual([
      "Remove capabilities NET_BIND_SERVICE from securityContext.capabilities.add of container 'api' of Deployment healthflow/api (allowed: none).",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(dropAllCapabilities, [withSecurityContext({})]);
  });
});

describe("k8s-no-host-namespaces", () => {
  it.each(kinds)("accepts a %s in its own namespaces", async (kind) => {
    expect((await runRule(noHostNamespaces, [workload(kind, "api")])).violations).toEqual([]);
  });

  it("names every host namespace a pod shares", async () => {
    const resources = [
      workload("DaemonSet", "agent", compliantPodSpec({ hostNetwork: true, hostPID: true, hostIPC: false })),
    ];
    const { messages } = await runRule(noHostNamespaces, resources);
    expect(messages).toEqual([
      "Remove hostNetwork: true from the pod spec of DaemonSet healthflow/agent.",
      "Remove hostPID: true from the pod spec of DaemonSet healthflow/agent.",
    ]);
  });

  it("exempts what the stack's config exempts (e.g. node-exporter)", async () => {
    const nodeExporter = workload(
      "DaemonSet",
      "kube-prometheus-stack-prometheus-node-exporter",
      compliantPodSpec({ hostNetwork: true }),
      {
        namespace: "node-exporter",
      },
    );
    const exempt = await runRule(noHostNamespaces, [nodeExporter], {
      exemptions: ["node-exporter/kube-prometheus-stack-prometheus-node-exporter"],
    });
    expect(exempt.violations).toEqual([]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(noHostNamespaces, [
      workload("Pod", "debug", compliantPodSpec({ hostPID: true })),
    ]);
  });
});

describe("k8s-no-host-path-volumes", () => {
  const hostPathPod = compliantPodSpec({
    volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }],
  });

  it.each(kinds)("accepts a %s with pod-local volumes", async (kind) => {
    const podSpec = compliantPodSpec({ volumes: [{ name: "tmp", emptyDir: {} }] });
    expect((await runRule(noHostPathVolumes, [workload(kind, "api", podSpec)])).violations).toEqual([]);
  });

  it("refuses a hostPath volume", async () => {
    const { messages } = await runRule(noHostPathVolumes, [workload("Job", "cleanup", hostPathPod)]);
    expect(messages).toEqual([
      "Replace hostPath volume 'docker' (/var/run/docker.sock) of Job healthflow/cleanup with an emptyDir, ConfigMap, Secret or PersistentVolumeClaim.",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(noHostPathVolumes, [workload("Job", "cleanup", hostPathPod)]);
  });
});

import * as fs from "fs";
import * as path from "path";
import { CONTROLLER_SERVICE } from "../../components/ingress/values";
import { INGRESS_NAMESPACE } from "../../components/names";
import { scrapeObjects } from "../../components/monitoring/scrape";
import { find, ofType, type ProgramRun, type RegisteredResource } from "../harness";
import { plannedRun } from "../harness/plans";
import { PROJECT_ROOT } from "../../tools/engine/stackConfig";
import { vendoredValues } from "../components/monitoring/helmValues";
import {
  type ChartFixture,
  chartResource,
  chartValues,
  type KubernetesObject,
  loadFixtures,
  registeredObjects,
  render,
  valueAt,
} from "./fixtures";

// What Chart v4 does not do that Helm would (hooks), what must exist before what (CRDs before custom
// resources, every Secret and ConfigMap a pod mounts), and what Pulumi waits for (an Ingress's status
// from the F5 controller), checked on the reviewed renders and the program's plan.

const fixtures = loadFixtures();
const fixture = (chart: string) => fixtures.find((f) => f.chart === chart) as ChartFixture;
const stacks = ["staging", "production"] as const;

type PodSpec = {
  serviceAccountName?: string;
  containers?: Container[];
  initContainers?: Container[];
  volumes?: { configMap?: { name: string }; secret?: { secretName: string } }[] | null;
};
type Container = {
  name: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { valueFrom?: { secretKeyRef?: { name: string }; configMapKeyRef?: { name: string } } }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
};

const WORKLOADS = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"];
const podSpecOf = (o: KubernetesObject) =>
  ((o.spec as any)?.template?.spec ?? (o.spec as any)?.jobTemplate?.spec?.template?.spec) as PodSpec | undefined;
const workloads = (objects: KubernetesObject[]) => objects.filter((o) => WORKLOADS.includes(o.kind));

/** Kind/namespace/name of the Secrets, ConfigMaps and ServiceAccounts a pod needs before it starts. */
function podReferences(o: KubernetesObject): string[] {
  const spec = podSpecOf(o);
  if (!spec) return [];
  const ns = o.metadata.namespace;
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  // Operator-made pods list some volumes as prose (abridged): those are the operator's own Secrets.
  const volumes = (spec.volumes ?? []).filter((v) => typeof v === "object");
  return [
    ...(spec.serviceAccountName ? [`ServiceAccount ${ns}/${spec.serviceAccountName}`] : []),
    ...volumes.flatMap((v) => [
      ...(v.configMap ? [`ConfigMap ${ns}/${v.configMap.name}`] : []),
      ...(v.secret ? [`Secret ${ns}/${v.secret.secretName}`] : []),
    ]),
    ...containers.flatMap((c) => [
      ...(c.env ?? []).flatMap((e) => [
        ...(e.valueFrom?.secretKeyRef ? [`Secret ${ns}/${e.valueFrom.secretKeyRef.name}`] : []),
        ...(e.valueFrom?.configMapKeyRef ? [`ConfigMap ${ns}/${e.valueFrom.configMapKeyRef.name}`] : []),
      ]),
      ...(c.envFrom ?? []).flatMap((e) => [
        ...(e.secretRef ? [`Secret ${ns}/${e.secretRef.name}`] : []),
        ...(e.configMapRef ? [`ConfigMap ${ns}/${e.configMapRef.name}`] : []),
      ]),
    ]),
  ];
}

/** Kind/namespace/name of a Kubernetes resource the program declares. */
function declared(run: ProgramRun): Set<string> {
  return new Set(
    run.resources.flatMap((r) => {
      const metadata = (r.inputs as { metadata?: { name?: string; namespace?: string } }).metadata;
      return r.custom && r.type.startsWith("kubernetes:") && metadata?.name
        ? [`${r.type.split(":")[2]} ${metadata.namespace ? `${metadata.namespace}/` : ""}${metadata.name}`]
        : [];
    }),
  );
}

describe.each(stacks)("Helm hooks in %s (hand-reviewed chart renders, not helm): none reaches Chart v4, and what they did is done otherwise", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });

  test("every hook a chart would render is turned off by the values we pass", () => {
    for (const f of fixtures)
      for (const hooks of f.hooks)
        for (const [key, value] of Object.entries(hooks.disabledBy))
          expect([f.chart, key, valueAt(chartValues(run, f), key)]).toEqual([f.chart, key, value]);
    expect(fixtures.flatMap((f) => f.hooks).length).toBeGreaterThanOrEqual(3);
  });

  test("cert-manager's startupapicheck hook: a plain Job does the same check with the same rights", () => {
    const [hooks] = fixture("cert-manager").hooks;
    const hookJob = hooks.objects.find((o) => o.kind === "Job") as any;
    const hookRole = hooks.objects.find((o) => o.kind === "Role") as any;
    const job = find(run.resources, hooks.replacedBy!.type, hooks.replacedBy!.name);
    const container = (job.inputs as any).spec.template.spec.containers[0];
    expect(container.image).toBe(hookJob.image);
    expect(container.args.slice(0, 2)).toEqual(hookJob.args.slice(0, 2));
    // The Role bound to the Job's ServiceAccount grants at least what the chart's hook Role does.
    const role = find(run.resources, "kubernetes:rbac.authorization.k8s.io/v1:Role", hooks.replacedBy!.name);
    expect((role.inputs as any).rules).toEqual(expect.arrayContaining(hookRole.rules));
    const issuers = find(run.resources, "kubernetes:yaml/v2:ConfigGroup", "cluster-issuers");
    expect(issuers.dependencies).toContain(job.urn);
  });

  test("every Secret, ConfigMap and ServiceAccount a rendered pod needs exists: rendered, declared or made at run time", () => {
    const ours = declared(run);
    for (const f of fixtures) {
      const objects = render(f, chartValues(run, f));
      const rendered = new Set(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`));
      const atRuntime = new Set(f.createdAtRuntime.map((o) => `${o.kind} ${o.namespace}/${o.name}`));
      const missing = workloads(objects)
        .flatMap(podReferences)
        .filter((ref) => !rendered.has(ref) && !ours.has(ref) && !atRuntime.has(ref));
      expect([f.chart, missing]).toEqual([f.chart, []]);
    }
    // The check is real: Grafana reads its admin password from the Secret the program declares.
    expect(ours.has("Secret monitoring/grafana-admin")).toBe(true);
  });

  test("Alertmanager mounts the webhook Secret only when the program declares it", () => {
    const kps = fixture("kube-prometheus-stack");
    const alertmanager = render(kps, chartValues(run, kps)).find((o) => o.kind === "Alertmanager")!;
    const ours = declared(run);
    for (const secret of (alertmanager.spec as any).secrets as string[])
      expect(ours.has(`Secret monitoring/${secret}`)).toBe(true);
  });

  test("the operator serves plain HTTP: with TLS on it would mount a Secret only a dropped hook creates", () => {
    const kps = fixture("kube-prometheus-stack");
    expect(valueAt(chartValues(run, kps), "prometheusOperator.tls.enabled")).toBe(false);
    const operator = registeredObjects(kps, chartValues(run, kps)).find(
      (o) => o.kind === "Deployment" && o.metadata.name === "kube-prometheus-stack-operator",
    )!;
    expect(podReferences(operator).filter((ref) => ref.startsWith("Secret"))).toEqual([]);
    expect(podSpecOf(operator)!.containers![0].args).toContain("--web.enable-tls=false");
  });
});

describe.each(stacks)("CRDs before the custom resources that need them, in %s (hand-reviewed chart renders, not helm)", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });

  /** group/version/Kind → the fixture whose chart renders the CRD that serves it. */
  const crdOwners = () =>
    new Map<string, ChartFixture>(
      fixtures.flatMap((f) =>
        f.objects
          .filter((o) => o.kind === "CustomResourceDefinition")
          .flatMap((o) => {
            const spec = o.spec as { group: string; names: { kind: string }; versions: { name: string }[] };
            return spec.versions.map((v): [string, ChartFixture] => [`${spec.group}/${v.name}/${spec.names.kind}`, f]);
          }),
      ),
    );

  /** Every custom resource the program declares (directly or in a ConfigGroup), with what declares it. */
  function customResources(): { kind: string; declaredBy: RegisteredResource }[] {
    const builtIn = (group: string) => group === "core" || !group.includes(".") || group.endsWith(".k8s.io");
    const direct = run.resources
      .filter((r) => r.custom && r.type.startsWith("kubernetes:"))
      .map((r) => ({ module: r.type.split(":")[1], kind: r.type.split(":")[2], declaredBy: r }))
      .filter(({ module }) => !builtIn(module.split("/")[0]))
      .map(({ module, kind, declaredBy }) => ({ kind: `${module}/${kind}`, declaredBy }));
    const grouped = ofType(run.resources, "kubernetes:yaml/v2:ConfigGroup").flatMap((group) =>
      ((group.inputs.objs as { apiVersion: string; kind: string }[]) ?? []).map((o) => ({
        kind: `${o.apiVersion}/${o.kind}`,
        declaredBy: group,
      })),
    );
    return [...direct, ...grouped];
  }

  /** Every URN a resource waits for, through the dependencies of its dependencies. */
  function upstreamOf(resource: { dependencies: string[] }): string[] {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const visit = (urns: string[]) => {
      for (const urn of urns) {
        if (seen.has(urn)) continue;
        seen.add(urn);
        visit(byUrn.get(urn)?.dependencies ?? []);
      }
    };
    visit(resource.dependencies);
    return [...seen];
  }

  test("each custom resource's CRD comes with a chart the resource depends on", () => {
    const owners = crdOwners();
    const resources = customResources();
    expect(resources.map((r) => r.kind).sort()).toEqual(
      [
        ...Array(2).fill("cert-manager.io/v1/Certificate"),
        ...Array(2).fill("cert-manager.io/v1/ClusterIssuer"),
        ...Array(4).fill("monitoring.coreos.com/v1/PodMonitor"),
        ...Array(resources.length - 8).fill("monitoring.coreos.com/v1/PrometheusRule"),
      ].sort(),
    );
    for (const { kind, declaredBy } of resources) {
      const owner = owners.get(kind);
      expect([kind, owner?.chart]).not.toEqual([kind, undefined]);
      // Directly, or through what it depends on (a Certificate waits for its ClusterIssuers, which wait
      // for cert-manager): the engine creates nothing before all it depends on exists.
      expect([declaredBy.name, upstreamOf(declaredBy)]).toEqual([
        declaredBy.name,
        expect.arrayContaining([chartResource(run, owner!).urn]),
      ]);
    }
  });

  test("the charts ship their CRDs as objects Chart v4 registers (cert-manager from templates, the operator's from crds/)", () => {
    expect(fixture("cert-manager").release.skipCrds).toBe(false);
    expect(valueAt(chartValues(run, fixture("cert-manager")), "crds.enabled")).toBe(true);
    expect(fixture("kube-prometheus-stack").release.skipCrds).toBe(false);
    // nginx-ingress skips its CRDs: no VirtualServer or Policy is ever created.
    expect(find(run.resources, "kubernetes:helm.sh/v4:Chart", "nginx-ingress").inputs.skipCrds).toBe(true);
    expect(valueAt(chartValues(run, fixture("nginx-ingress")), "controller.enableCustomResources")).toBe(false);
  });
});

describe.each(stacks)("every Ingress of %s gets a status from the F5 controller (hand-reviewed chart renders, not helm)", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const nginx = () => fixture("nginx-ingress");
  const objects = () => registeredObjects(nginx(), chartValues(run, nginx()));
  const get = (kind: string, name: string) => objects().find((o) => o.kind === kind && o.metadata.name === name)!;
  const args = () => podSpecOf(get("Deployment", CONTROLLER_SERVICE))!.containers![0].args!;

  test("we leave reportIngressStatus at the chart's defaults, which report the LoadBalancer Service's address", () => {
    expect(valueAt(chartValues(run, nginx()), "controller.reportIngressStatus")).toBeUndefined();
    const defaults = vendoredValues("nginx-ingress", nginx().version) as any;
    expect(defaults.controller.reportIngressStatus).toEqual({
      annotations: {},
      enable: true,
      ingressLink: "",
      enableLeaderElection: true,
      leaderElectionLockName: "",
    });
    // With externalService unset and a LoadBalancer Service, the chart names that Service (_helpers.tpl:319-332).
    expect(args()).toEqual(
      expect.arrayContaining(["-report-ingress-status", `-external-service=${CONTROLLER_SERVICE}`]),
    );
    const service = get("Service", CONTROLLER_SERVICE);
    expect([service.metadata.namespace, (service.spec as any).type]).toEqual([INGRESS_NAMESPACE, "LoadBalancer"]);
  });

  test("the elected leader writes the status: its lease and the rights to take it and to update Ingress status", () => {
    const lock = args()
      .find((a) => a.startsWith("-leader-election-lock-name="))!
      .split("=")[1];
    expect(args()).toContain("-enable-leader-election=true");
    const clusterRole = get("ClusterRole", "nginx-ingress") as any;
    expect(clusterRole.rules).toContainEqual({
      apiGroups: ["networking.k8s.io"],
      resources: ["ingresses/status"],
      verbs: ["update"],
    });
    const role = get("Role", "nginx-ingress") as any;
    expect(role.rules).toContainEqual({
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      resourceNames: [lock],
      verbs: ["get", "update"],
    });
    expect(get("Lease", lock).metadata.namespace).toBe(INGRESS_NAMESPACE);
  });

  test("every Ingress names the class this controller serves and waits for the controller's chart", () => {
    const ingressClass = objects().find((o) => o.kind === "IngressClass")!;
    expect((ingressClass.spec as any).controller).toBe("nginx.org/ingress-controller");
    expect(args()).toContain(`-ingress-class=${ingressClass.metadata.name}`);
    const ingresses = ofType(run.resources, "kubernetes:networking.k8s.io/v1:Ingress");
    expect(ingresses.length).toBeGreaterThan(0);
    const chart = chartResource(run, nginx()).urn;
    for (const ingress of ingresses) {
      expect([ingress.name, (ingress.inputs.spec as any).ingressClassName]).toEqual([
        ingress.name,
        ingressClass.metadata.name,
      ]);
      expect([ingress.name, ingress.dependencies]).toEqual([ingress.name, expect.arrayContaining([chart])]);
      // Pulumi awaits the status unless told not to; nothing here tells it not to.
      expect((ingress.inputs.metadata as any).annotations?.["pulumi.com/skipAwait"]).toBeUndefined();
    }
  });
});

describe("the scrape objects select pods the charts render, on ports they expose (hand-reviewed chart renders, not helm)", () => {
  test.each(["nginx-ingress", "cert-manager"])("%s", (name) => {
    const run = plannedRun("production");
    const monitor = scrapeObjects().find((s) => s.name === name)!;
    const spec = monitor.spec as any;
    const f = fixture(name);
    const pods = workloads(registeredObjects(f, chartValues(run, f))).filter(
      (o) =>
        spec.namespaceSelector.matchNames.includes(o.metadata.namespace) &&
        Object.entries(spec.selector.matchLabels).every(
          ([k, v]) => (o.spec as any).template.metadata.labels[k] === v,
        ),
    );
    expect(pods).toHaveLength(1);
    const ports = podSpecOf(pods[0])!.containers!.flatMap((c) => (c.ports ?? []).map((p) => p.name));
    for (const endpoint of spec.podMetricsEndpoints) expect(ports).toContain(endpoint.port);
  });
});

describe("a first preview of a fresh stack", () => {
  // Before the EKS cluster exists the Kubernetes provider's kubeconfig is unknown. Since Pulumi 3.130.0
  // (pulumi/pulumi#16868) the engine then registers a remote component such as Chart v4 without
  // calling it, with no children; before, the preview failed ("cannot construct components if the
  // provider is configured with unknown values"). docs/deploying.md: "First preview of a fresh stack".
  test("runs on a Pulumi CLI and SDK from 3.130.0 on", () => {
    const atLeast = (version: string) => {
      const [major, minor] = version.split(".").map(Number);
      return major > 3 || (major === 3 && minor >= 130);
    };
    const workflows = path.join(PROJECT_ROOT, ".github", "workflows");
    const pins = fs
      .readdirSync(workflows)
      .flatMap((file) => [...fs.readFileSync(path.join(workflows, file), "utf8").matchAll(/pulumi-version: (\S+)/g)])
      .map((m) => m[1]);
    expect(pins.length).toBeGreaterThan(0);
    for (const pin of pins) expect([pin, atLeast(pin)]).toEqual([pin, true]);
    const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"));
    expect(atLeast(pkg.dependencies["@pulumi/pulumi"])).toBe(true);
  });
});

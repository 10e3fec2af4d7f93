import { namespaceQuota } from "../../../components/workloads/capacity";
import { capacityProblem, requestsAtMax } from "../../../settings/catalog/capacity";
import { cpuCores, memoryBytes } from "../../../settings/formats";
import { find, ofType, type ProgramRun, type RegisteredResource, secretValues } from "../../harness";
import { knownRun, plannedRun } from "../../harness/plans";
import { UNKNOWN } from "../../../tools/engine/engine";
import { readStackConfig } from "../../../tools/engine/stackConfig";

const config = (stack: string, key: string) => JSON.parse(readStackConfig(stack).config[`healthflow:${key}`]);
const APPS = ["web", "api", "worker"] as const;

describe.each(["staging", "production"])("the workloads of %s", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const k8s = (kind: string, name: string): Record<string, any> => {
    const found = run.resources.find(
      (r) => r.type.endsWith(`:${kind}`) && (r.inputs as any).metadata?.name === name,
    );
    if (!found) throw new Error(`no ${kind} ${name}`);
    return found.inputs as Record<string, any>;
  };
  const deployment = (app: string) => k8s("Deployment", `healthflow-${app}`);

  test("the api's HPA is the guide's: bounds from settings, CPU 70 %, memory 80 %, its scaling behaviour", () => {
    const hpa = k8s("HorizontalPodAutoscaler", "healthflow-api-hpa").spec;
    const { autoscaling } = config(stack, "apps").api;
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "healthflow-api" });
    expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([autoscaling.minReplicas, autoscaling.maxReplicas]);
    expect(hpa.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toEqual([
      ["cpu", 70],
      ["memory", 80],
    ]);
    expect(hpa.behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 300,
      policies: [{ type: "Percent", value: 10, periodSeconds: 60 }],
    });
    expect(hpa.behavior.scaleUp).toMatchObject({
      stabilizationWindowSeconds: 0,
      policies: [
        { type: "Percent", value: 100, periodSeconds: 15 },
        { type: "Pods", value: 4, periodSeconds: 15 },
      ],
    });
  });

  test("every HPA targets a Deployment of the program, and no Deployment sets replicas", () => {
    const deployments = new Set(
      ofType(run.resources, "kubernetes:apps/v1:Deployment").map((d) => (d.inputs as any).metadata.name),
    );
    const hpas = ofType(run.resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
    expect(hpas).toHaveLength(3);
    for (const hpa of hpas) expect(deployments).toContain((hpa.inputs as any).spec.scaleTargetRef.name);
    for (const app of APPS) expect(deployment(app).spec.replicas).toBeUndefined();
  });

  test("every PDB selects exactly its Deployment's pods, no pod has two, and one may always go", () => {
    // Kubernetes' label selector (apimachinery labels.SelectorFromSet / LabelSelectorAsSelector): all
    // of matchLabels and matchExpressions must hold; in policy/v1 an empty selector selects every pod
    // of the namespace, and the eviction API refuses a pod that two budgets cover, so drains block.
    const selects = (selector: any, labels: Record<string, string>): boolean =>
      selector != null &&
      Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value) &&
      (selector.matchExpressions ?? []).every((e: any) =>
        e.operator === "In"
          ? e.key in labels && e.values.includes(labels[e.key])
          : e.operator === "NotIn"
            ? !(e.key in labels) || !e.values.includes(labels[e.key])
            : e.operator === "Exists"
              ? e.key in labels
              : !(e.key in labels),
      );
    const namespaceOf = (r: RegisteredResource) => (r.inputs as any).metadata.namespace;
    const pdbs = ofType(run.resources, "kubernetes:policy/v1:PodDisruptionBudget");
    const pods = ofType(run.resources, "kubernetes:apps/v1:Deployment").map((d) => ({
      name: (d.inputs as any).metadata.name as string,
      namespace: namespaceOf(d),
      labels: (d.inputs as any).spec.template.metadata.labels as Record<string, string>,
    }));
    for (const app of APPS) {
      const pdb = pdbs.find((p) => (p.inputs as any).metadata.name === `healthflow-${app}-pdb`)!;
      const selected = pods.filter(
        (pod) => pod.namespace === namespaceOf(pdb) && selects((pdb.inputs as any).spec.selector, pod.labels),
      );
      expect(selected.map((pod) => pod.name)).toEqual([`healthflow-${app}`]);
      expect((pdb.inputs as any).spec.maxUnavailable).toBe(1);
    }
    for (const pod of pods) {
      const covering = pdbs.filter(
        (p) => namespaceOf(p) === pod.namespace && selects((p.inputs as any).spec.selector, pod.labels),
      );
      expect(covering.length).toBeLessThanOrEqual(1);
    }
  });

  test.each(APPS)(
    "%s: probes as its settings say (the guide's health controller by default), graceful and capacity-safe rollouts",
    (app) => {
      const d = deployment(app).spec;
      const [container] = d.template.spec.containers;
      const health = config(stack, "apps")[app].health;
      const kinds = [container.startupProbe, container.livenessProbe, container.readinessProbe];
      if (health === "tcp") {
        // An app without health routes (the guide's Next.js web): its port accepting connections.
        for (const probe of kinds) expect(probe).toMatchObject({ tcpSocket: { port: "http" } });
      } else {
        // The guide's NestJS HealthController: GET /health, /health/ready, /health/live.
        expect(kinds.map((probe) => probe.httpGet.path)).toEqual([
          "/health",
          "/health/live",
          "/health/ready",
        ]);
      }
      expect(d.strategy.rollingUpdate.maxUnavailable).toBe(0);
      expect(container.lifecycle.preStop.sleep.seconds).toBeGreaterThan(0);
      expect(d.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
        container.lifecycle.preStop.sleep.seconds,
      );
    },
  );

  test.each(APPS)(
    "%s: non-root 1001, read-only root with writable /tmp, no capabilities, no token; image and resources from settings",
    (app) => {
      const pod = deployment(app).spec.template.spec;
      const [container] = pod.containers;
      const settings = config(stack, "apps")[app];
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1001,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(container.securityContext).toEqual({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(container.volumeMounts.map((m: any) => m.mountPath)).toContain("/tmp");
      expect(container.image).toBe(settings.image);
      expect(container.resources).toEqual(settings.resources);
      expect(pod.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual([
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
      ]);
      expect(
        pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
          .topologyKey,
      ).toBe("kubernetes.io/hostname");
    },
  );

  test("web and api get Services on their ports; the worker none", () => {
    expect(k8s("Service", "healthflow-api").spec.ports).toEqual([
      { name: "http", port: 3001, targetPort: "http", protocol: "TCP" },
    ]);
    expect(k8s("Service", "healthflow-web").spec.ports[0].port).toBe(3000);
    expect(() => k8s("Service", "healthflow-worker")).toThrow();
  });

  test("config and secrets: public URLs in the ConfigMap, credentials only in the Secret, as secrets", () => {
    const hosts = config(stack, "dns");
    expect(k8s("ConfigMap", "healthflow-config").data).toMatchObject({
      NODE_ENV: "production",
      APP_URL: `https://${hosts.appHost}`,
      API_URL: `https://${hosts.apiHost}`,
      AWS_REGION: "sa-east-1",
    });
    const secret = knownRun(stack).resources.find(
      (r) => (r.inputs as any).metadata?.name === "healthflow-secrets",
    ) as RegisteredResource;
    expect(Object.keys(secretValues(secret.inputs)).sort()).toEqual(
      [
        "DATABASE_READ_URL",
        "DATABASE_URL",
        "ENCRYPTION_KEY",
        "JWT_SECRET",
        "REDIS_URL",
        "SMTP_PASSWORD",
      ].sort(),
    );
    // The mail provider's endpoint in the ConfigMap, as dev's MailHog is given to the apps.
    const smtp = config(stack, "smtp");
    expect(k8s("ConfigMap", "healthflow-config").data).toMatchObject({
      SMTP_HOST: smtp.host,
      SMTP_PORT: String(smtp.port),
      SMTP_USER: smtp.username,
    });
  });

  test("S3 access for api and worker through Pod Identity, scoped to the uploads bucket; no static keys", () => {
    const associations = ofType(run.resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
      .map((a) => a.inputs as any)
      .filter(
        (a) =>
          a.namespace === "healthflow" && !["postgres-backup", "restore-drill"].includes(a.serviceAccount),
      );
    expect(associations.map((a) => a.serviceAccount).sort()).toEqual(["healthflow-api", "healthflow-worker"]);
    const policy = find(run.resources, "aws:iam/rolePolicy:RolePolicy", "uploads-access");
    expect(policy.propertyDependencies.policy).toContain(
      find(run.resources, "aws:s3/bucket:Bucket", "uploads").urn,
    );
    expect(JSON.stringify(run.resources.map((r) => r.inputs))).not.toMatch(
      /AWS_SECRET_ACCESS_KEY|AKIA[0-9A-Z]{16}/,
    );
  });

  test("every pod whose service account has a Pod Identity association starts after it and its role's permissions", () => {
    // EKS injects the credentials when it admits the pod, only for an association that exists then
    // (EKS user guide, pod-id-how-it-works); a pod admitted earlier has none until it restarts.
    const associations = ofType(run.resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation");
    const podSpec = (r: any) =>
      r.inputs.spec?.template?.spec ?? r.inputs.spec?.jobTemplate?.spec?.template?.spec;
    const workloads = run.resources.filter((r) =>
      ["kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:CronJob"].includes(r.type),
    );
    // A chart's pods are opaque under mocks: the chart installed into the namespace whose values name
    // the service account stands for them.
    const charts = ofType(run.resources, "kubernetes:helm.sh/v4:Chart");
    const checked: string[] = [];
    for (const association of associations) {
      const { namespace, serviceAccount } = association.inputs as any;
      const users = [
        ...workloads.filter(
          (w) =>
            (w.inputs as any).metadata.namespace === namespace &&
            podSpec(w)?.serviceAccountName === serviceAccount,
        ),
        ...charts.filter(
          (c) =>
            (c.inputs as any).namespace === namespace &&
            JSON.stringify((c.inputs as any).values ?? {}).includes(`"name":"${serviceAccount}"`),
        ),
      ];
      expect([serviceAccount, users.length]).toEqual([serviceAccount, 1]);
      const role = association.propertyDependencies.roleArn;
      const permissions = ofType(run.resources, "aws:iam/rolePolicy:RolePolicy").filter((p) =>
        p.propertyDependencies.role?.some((urn) => role?.includes(urn)),
      );
      expect(permissions.length).toBeGreaterThan(0);
      for (const user of users) {
        expect(user.dependencies).toEqual(
          expect.arrayContaining([association.urn, ...permissions.map((p) => p.urn)]),
        );
        checked.push(serviceAccount);
      }
    }
    // The identities that reach AWS: the autoscaler, the api and worker (uploads), the backup and
    // restore-drill CronJobs, the log shipper.
    expect(checked.sort()).toEqual([
      "cluster-autoscaler",
      "fluent-bit",
      "healthflow-api",
      "healthflow-worker",
      "postgres-backup",
      "restore-drill",
    ]);
  });

  test("the database's audit set-up runs after the migrations and before the api and worker roll out", () => {
    const audit = find(run.resources, "kubernetes:batch/v1:Job", "db-audit");
    expect(audit.dependencies).toContain(find(run.resources, "kubernetes:batch/v1:Job", "api-migrate").urn);
    for (const app of ["api", "worker"]) {
      const d = run.resources.find(
        (r) =>
          r.type === "kubernetes:apps/v1:Deployment" &&
          (r.inputs as any).metadata.name === `healthflow-${app}`,
      );
      expect(d?.dependencies).toContain(audit.urn);
    }
    // psql of the database's major (the backups' image), as the owner, from the apps' DATABASE_URL.
    const [container] = (audit.inputs as any).spec.template.spec.containers;
    expect(container.image).toBe(config(stack, "backups").images.postgres);
    expect(container.env.find((e: any) => e.name === "DATABASE_URL").valueFrom.secretKeyRef).toEqual({
      name: "healthflow-secrets",
      key: "DATABASE_URL",
    });
  });

  test("migrations run before the api and worker roll out, with the api's image and environment", () => {
    const job = find(run.resources, "kubernetes:batch/v1:Job", "api-migrate");
    // Its name hashes its spec, config checksum included: unknown in a first preview (the database
    // it reads does not exist yet), known once it does.
    expect((job.inputs as any).metadata.name).toBe(UNKNOWN);
    const known = find(knownRun(stack).resources, "kubernetes:batch/v1:Job", "api-migrate");
    expect((known.inputs as any).metadata.name).toMatch(/^healthflow-api-migrate-[0-9a-f]{10}$/);
    const [migrate] = (job.inputs as any).spec.template.spec.containers;
    expect(migrate.image).toBe(config(stack, "apps").api.image);
    expect(migrate.envFrom).toEqual([
      { configMapRef: { name: "healthflow-config" } },
      { secretRef: { name: "healthflow-secrets" } },
    ]);
    for (const environment of [
      find(run.resources, "kubernetes:core/v1:ConfigMap", "config"),
      find(run.resources, "kubernetes:core/v1:Secret", "secrets"),
    ])
      expect(job.dependencies).toContain(environment.urn);
    // Which Prisma runs: imageContract.test.ts.
    for (const app of ["api", "worker"]) {
      const d = run.resources.find(
        (r) =>
          r.type === "kubernetes:apps/v1:Deployment" &&
          (r.inputs as any).metadata.name === `healthflow-${app}`,
      );
      expect(d?.dependencies).toContain(job.urn);
    }
  });

  test("the namespace: PSA restricted, a quota sized for every HPA at its maximum mid-rollout, default limits", () => {
    expect(k8s("Namespace", "healthflow").metadata.labels["pod-security.kubernetes.io/enforce"]).toBe(
      "restricted",
    );
    const hard = k8s("ResourceQuota", "healthflow-quota").spec.hard;
    expect(hard).toEqual(namespaceQuota(config(stack, "apps")));
    // The rule, worked from the planned objects themselves: each Deployment at its HPA's maximum, plus
    // its rollout's surge (maxSurge, a percentage Kubernetes rounds up: deployment util
    // ResolveFenceposts) twice over, since the quota still charges the old pods while they terminate.
    const need = { pods: 0, "requests.cpu": 0, "limits.cpu": 0, "requests.memory": 0, "limits.memory": 0 };
    for (const app of APPS) {
      const spec = deployment(app).spec;
      const max = k8s("HorizontalPodAutoscaler", `healthflow-${app}-hpa`).spec.maxReplicas;
      const surge = Math.ceil((max * parseInt(spec.strategy.rollingUpdate.maxSurge, 10)) / 100);
      const pods = max + 2 * surge;
      const { requests, limits } = spec.template.spec.containers[0].resources;
      need.pods += pods;
      need["requests.cpu"] += pods * cpuCores(requests.cpu);
      need["limits.cpu"] += pods * cpuCores(limits.cpu);
      need["requests.memory"] += pods * memoryBytes(requests.memory);
      need["limits.memory"] += pods * memoryBytes(limits.memory);
    }
    expect(Number(hard.pods)).toBeGreaterThanOrEqual(need.pods);
    expect(cpuCores(hard["requests.cpu"])).toBeGreaterThanOrEqual(need["requests.cpu"]);
    expect(cpuCores(hard["limits.cpu"])).toBeGreaterThanOrEqual(need["limits.cpu"]);
    expect(memoryBytes(hard["requests.memory"])).toBeGreaterThanOrEqual(need["requests.memory"]);
    expect(memoryBytes(hard["limits.memory"])).toBeGreaterThanOrEqual(need["limits.memory"]);
    expect(k8s("LimitRange", "healthflow-limits").spec.limits[0].type).toBe("Container");
  });

  test("the network says no by default, then admits the ingress controller, Prometheus, DNS and the data stores", () => {
    const policies = Object.fromEntries(
      ofType(run.resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => [
        (p.inputs as any).metadata.name,
        (p.inputs as any).spec,
      ]),
    );
    expect(policies["default-deny"]).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    expect(policies["allow-ingress-controller"].ingress[0].from[0].namespaceSelector.matchLabels).toEqual({
      "kubernetes.io/metadata.name": "nginx-ingress",
    });
    expect(
      policies["allow-prometheus"].ingress[0].from[0].namespaceSelector.matchLabels[
        "kubernetes.io/metadata.name"
      ],
    ).toBe("monitoring");
    const data = policies["allow-data-egress"].egress[0];
    expect(data.ports.map((p: any) => p.port)).toEqual([5432, 6379]);
    expect(data.to.map((t: any) => t.ipBlock.cidr)).toHaveLength(3);
    expect(policies["allow-https-egress"].egress[0].to[0].ipBlock.except).toContain("169.254.169.254/32");
    // Numeric ports only: the VPC CNI's agent resolves named ports against the wrong pods.
    const ports = Object.values(policies).flatMap((p: any) =>
      [...(p.ingress ?? []), ...(p.egress ?? [])].flatMap((r: any) => r.ports ?? []),
    );
    expect(ports.every((p: any) => typeof p.port === "number")).toBe(true);
    expect(policies["allow-ingress-controller"].ingress[0].ports.map((p: any) => p.port)).toEqual([
      3000, 3001,
    ]);
    // Prometheus reaches the api's metrics port, and nothing else of the apps.
    expect(policies["allow-prometheus"].podSelector).toEqual({ matchLabels: { app: "healthflow-api" } });
    expect(policies["allow-prometheus"].ingress[0].ports).toEqual([{ protocol: "TCP", port: 9464 }]);
  });

  test("the Ingresses: the controller's class, TLS from cert-manager, limits from the shared edge settings", () => {
    const hosts = config(stack, "dns");
    const edge = readStackConfig(stack).config["healthflow:edge"] ? config(stack, "edge") : undefined;
    const web = k8s("Ingress", "healthflow-web");
    expect(web.spec.ingressClassName).toBe("nginx");
    expect(web.spec.tls).toEqual([{ hosts: [hosts.appHost], secretName: "healthflow-web-tls" }]);
    expect(web.metadata.annotations).toMatchObject({
      "nginx.org/client-max-body-size": `${edge.maxBodySizeMb}m`,
      "nginx.org/limit-req-rate": `${edge.rateLimits.general.requestsPerSecond}r/s`,
    });
    const auth = k8s("Ingress", "healthflow-api-auth");
    expect(auth.metadata.annotations).toMatchObject({
      "nginx.org/mergeable-ingress-type": "minion",
      "nginx.org/limit-req-rate": `${edge.rateLimits.auth.requestsPerMinute}r/m`,
      "nginx.org/limit-req-burst": String(edge.rateLimits.auth.burst),
    });
    expect(auth.spec.rules[0].http.paths[0].path).toBe(edge.rateLimits.auth.path);
    expect(
      k8s("Ingress", "healthflow-api-socketio").metadata.annotations["nginx.org/websocket-services"],
    ).toBe("healthflow-api");
    expect(k8s("Ingress", "healthflow-api").metadata.annotations["nginx.org/mergeable-ingress-type"]).toBe(
      "master",
    );
    // Pulumi awaits an Ingress until a controller publishes its address: the controller comes first.
    const ingress = run.resources.find(
      (r) => r.type === "kubernetes:networking.k8s.io/v1:Ingress",
    ) as RegisteredResource;
    expect(ingress.dependencies).toEqual(
      expect.arrayContaining([
        find(run.resources, "kubernetes:helm.sh/v4:Chart", "nginx-ingress").urn,
        find(run.resources, "kubernetes:yaml/v2:ConfigGroup", "cluster-issuers").urn,
      ]),
    );
  });
});

describe("capacity: every HPA at its maximum fits the cluster with the configured headroom", () => {
  test.each(["staging", "production"])("%s fits, zone by zone", (stack) => {
    const cluster = config(stack, "cluster");
    const zones = config(stack, "network").availabilityZones;
    expect(
      capacityProblem(config(stack, "apps"), cluster.nodeGroups, cluster.headroomPercent, zones),
    ).toBeNull();
    expect(requestsAtMax(config(stack, "apps"), zones).cpu).toBeGreaterThan(0);
  });

  test("a shrunken node group fails, with one zone's numbers", () => {
    const cluster = config("production", "cluster");
    const shrunk = [{ ...cluster.nodeGroups[0], maxSize: 1 }];
    // Production's apps at their maximum, mid-rollout, in one of 3 zones: web ceil(8/3) = 3 and
    // worker 3 pods, api ceil(13/3) = 5; 3 x 250m + 5 x 250m + 3 x 500m = 3.5 cores.
    expect(capacityProblem(config("production", "apps"), shrunk, cluster.headroomPercent, 3)).toMatch(
      /with 25% headroom in each of 3 zones .*: CPU 3\.50 > [\d.]+ cores/,
    );
  });
});

test("dev registers no Kubernetes workload", () => {
  expect(plannedRun("dev").resources.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
});

import * as fs from "fs";
import * as path from "path";
import { CLIENT_IP_HEADER, jsonLogFormat } from "../../../components/ingress/config";
import { DNS_TOKEN_SECRET } from "../../../components/ingress/issuers";
import { CERTIFICATE_TIMEOUT_SECONDS, certificateObject } from "../../../components/ingress/certificates";
import { CONTROLLER_SERVICE, NGINX_INGRESS_CHART } from "../../../components/ingress/values";
import {
  APP_NAMESPACE,
  CERT_MANAGER_NAMESPACE,
  CLUSTER_ISSUER,
  INGRESS_CLASS,
  INGRESS_NAMESPACE,
} from "../../../components/names";
import { ACCESS_LOG_FIELDS } from "../../../components/nginx/render";
import { globMatches } from "../../../policies/lib/glob";
import { ConfigError, parseSettings } from "../../../settings";
import { find, goDurationSeconds, isSecret, ofType, type ProgramRun } from "../../harness";
import { UNKNOWN } from "../../../tools/engine/engine";
import { plannedRun } from "../../harness/plans";
import { realValues } from "../../settings/realAccount";
import { type ConfigOverride, PROJECT_ROOT, readStackConfig } from "../../../tools/engine/stackConfig";
import { chartFiles, helmMerge, schemaErrors, unknownKeyPaths } from "./chartValues";

// The ingress of staging and production, as the plan declares it: the F5 NGINX Ingress Controller
// and cert-manager charts (pinned, their values checked against the charts' own files), the
// ClusterIssuers and what must exist before them.

const config = (stack: string, key: string) => JSON.parse(readStackConfig(stack).config[`healthflow:${key}`]);

/** The keys ParseConfigMap of NGINX Ingress Controller 5.5.4 reads (internal/configs/configmaps.go). */
const CONTROLLER_CONFIGMAP_KEYS = new Set(
  (
    "server-tokens lb-method proxy-connect-timeout proxy-read-timeout proxy-send-timeout client-max-body-size " +
    "http2 redirect-to-https ssl-redirect hsts hsts-max-age hsts-include-subdomains hsts-behind-proxy " +
    "real-ip-header set-real-ip-from real-ip-recursive ssl-protocols ssl-prefer-server-ciphers ssl-ciphers " +
    "error-log-level access-log access-log-off log-format log-format-escaping default-server-return " +
    "worker-processes worker-cpu-affinity worker-shutdown-timeout worker-connections worker-rlimit-nofile " +
    "keepalive keepalive-timeout keepalive-requests max-fails fail-timeout upstream-zone-size " +
    // Read with no -enable-snippets gate (configmaps.go, ParseConfigMap), unlike the annotations.
    "server-snippets"
  ).split(" "),
);

describe.each(["staging", "production"])("the ingress of %s", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const chart = (name: string) => find(run.resources, "kubernetes:helm.sh/v4:Chart", name);
  const ingressSettings = () => config(stack, "ingress");

  test("installs the F5 controller and cert-manager at the pinned versions, each in its namespace", () => {
    expect(chart("nginx-ingress").inputs).toMatchObject({
      chart: NGINX_INGRESS_CHART,
      version: ingressSettings().controller.chartVersion,
      name: "nginx-ingress",
      namespace: INGRESS_NAMESPACE,
      skipCrds: true,
    });
    expect(chart("cert-manager").inputs).toMatchObject({
      chart: "cert-manager",
      version: ingressSettings().certManager.chartVersion,
      repositoryOpts: { repo: "https://charts.jetstack.io" },
      namespace: CERT_MANAGER_NAMESPACE,
    });
    expect(chart("cert-manager").inputs.values).toMatchObject({ crds: { enabled: true, keep: true } });
    // Not the retired community chart.
    expect(
      JSON.stringify(ofType(run.resources, "kubernetes:helm.sh/v4:Chart").map((c) => c.inputs.chart)),
    ).not.toMatch(/ingress-nginx/);
    for (const name of [INGRESS_NAMESPACE, CERT_MANAGER_NAMESPACE]) {
      const labels = find(run.resources, "kubernetes:core/v1:Namespace", name).inputs.metadata as any;
      expect(labels.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    }
  });

  test.each([
    ["nginx-ingress", (s: any) => s.controller.chartVersion],
    ["cert-manager", (s: any) => s.certManager.chartVersion],
  ])(
    "%s: every key set exists in the chart's values.yaml and the merged values pass its schema",
    (name, version) => {
      const files = chartFiles(name, version(ingressSettings()));
      const values = chart(name).inputs.values as any;
      expect(JSON.stringify(values)).not.toContain(UNKNOWN);
      expect(unknownKeyPaths(values, files)).toEqual([]);
      expect(schemaErrors(values, files)).toEqual([]);
    },
  );

  test("the controller: HPA from the settings, PDB when highly available, locked down, no snippets, metrics", () => {
    const { controller } = chart("nginx-ingress").inputs.values as any;
    const wanted = ingressSettings().controller;
    expect(controller.autoscaling).toMatchObject({
      enabled: true,
      minReplicas: wanted.minReplicas,
      maxReplicas: wanted.maxReplicas,
    });
    expect(controller.podDisruptionBudget).toEqual(
      wanted.minReplicas >= 2 ? { enabled: true, maxUnavailable: 1 } : { enabled: false },
    );
    if (stack === "production") expect(wanted.minReplicas).toBeGreaterThanOrEqual(2);
    expect(controller.resources).toEqual(wanted.resources);
    expect(controller.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 101,
      capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
    });
    expect(controller.initContainerSecurityContext.capabilities).toEqual({ drop: ["ALL"] });
    expect(controller).toMatchObject({
      enableSnippets: false,
      enableCustomResources: false,
      telemetryReporting: { enable: false },
      ingressClass: { name: INGRESS_CLASS, create: true },
    });
    expect((chart("nginx-ingress").inputs.values as any).prometheus).toMatchObject({ create: true });
  });

  test("the NLB admits Cloudflare only, and nginx trusts CF-Connecting-IP from exactly those ranges", () => {
    const { service, config: nginx } = (chart("nginx-ingress").inputs.values as any).controller;
    expect(service.type).toBe("LoadBalancer");
    expect(service.externalTrafficPolicy).toBe("Local");
    expect(service.annotations["service.beta.kubernetes.io/aws-load-balancer-type"]).toBe("nlb");
    expect(
      service.annotations["service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags"],
    ).toMatch(new RegExp(`(^|,)environment=${stack}(,|$)`));
    const ranges: string[] = service.loadBalancerSourceRanges;
    expect(ranges.length).toBeGreaterThan(10);
    // IPv4 blocks, none of them the whole internet.
    for (const cidr of ranges) expect(cidr).toMatch(/^\d+\.\d+\.\d+\.\d+\/(\d|[12]\d|3[0-2])$/);
    expect(ranges).not.toContain("0.0.0.0/0");
    expect(nginx.entries["real-ip-header"]).toBe(CLIENT_IP_HEADER);
    expect(nginx.entries["set-real-ip-from"].split(",")).toEqual(ranges);
  });

  test("the global config carries the guide's http/events rules and only keys the controller reads", () => {
    const entries = (chart("nginx-ingress").inputs.values as any).controller.config.entries;
    const edge = config(stack, "edge");
    expect(entries).toMatchObject({
      "worker-connections": "4096",
      keepalive: "32",
      "client-max-body-size": `${edge.maxBodySizeMb}m`,
      "ssl-protocols": "TLSv1.2 TLSv1.3",
      "server-tokens": "false",
      hsts: "true",
      "hsts-max-age": "31536000",
      "log-format-escaping": "json",
    });
    expect(Object.keys(entries).filter((k) => !CONTROLLER_CONFIGMAP_KEYS.has(k))).toEqual([]);
    expect(Object.values(entries).every((v) => typeof v === "string")).toBe(true);
  });

  test("the access log is one JSON object per request with the guide's fields", () => {
    const format = jsonLogFormat();
    // The controller wraps each line of log-format in single quotes.
    expect(format).not.toMatch(/['\n]/);
    const sample = format.replace(/\$[a-z_0-9]+/g, (v) => (/status|bytes|request_time$/.test(v) ? "1" : "x"));
    expect(Object.keys(JSON.parse(sample))).toEqual(ACCESS_LOG_FIELDS.map(([field]) => field));
    expect(JSON.parse(sample).uri).toBe("x");
  });

  test("cert-manager: replicas and PDBs from the settings, bounded and locked-down pods", () => {
    const values = chart("cert-manager").inputs.values as any;
    const replicas = ingressSettings().certManager.replicas;
    for (const component of [values, values.webhook, values.cainjector]) {
      expect(component.replicaCount).toBe(replicas);
      expect(component.podDisruptionBudget).toEqual({ enabled: replicas >= 2 });
      expect(component.resources.limits).toBeDefined();
      expect(component.containerSecurityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });
    }
    // Its Helm-hook check never runs under Chart v4; a plain Job does it instead (below).
    expect(values.startupapicheck).toEqual({ enabled: false });
    expect(values.global.leaderElection.namespace).toBe(CERT_MANAGER_NAMESPACE);
  });

  test("the ClusterIssuers wait for cert-manager's API to answer (a plain Job, not the chart's skipped hook)", () => {
    const job = run.resources.find(
      (r) => r.type === "kubernetes:batch/v1:Job" && r.name === "cert-manager-api-ready",
    );
    expect(job).toBeDefined();
    const container = (job!.inputs as any).spec.template.spec.containers[0];
    expect(container.image).toBe(
      `quay.io/jetstack/cert-manager-startupapicheck:${ingressSettings().certManager.chartVersion}`,
    );
    expect(container.args.slice(0, 2)).toEqual(["check", "api"]);
    // A failed or timed-out run would be re-awaited, and fail at once, on every later update
    // (@pulumi/kubernetes, batch/v1 Job await docs): replaced instead, and awaited longer than it may run.
    const { metadata, spec } = job!.inputs as any;
    expect(metadata.annotations).toEqual({ "pulumi.com/replaceUnready": "true" });
    const wait =
      Number(container.args.find((a: string) => a.startsWith("--wait="))?.match(/^--wait=(\d+)m$/)?.[1]) * 60;
    expect(spec.activeDeadlineSeconds).toBeGreaterThan(wait);
    for (const timeout of [job!.customTimeouts?.create, job!.customTimeouts?.update])
      expect(goDurationSeconds(timeout!)).toBeGreaterThan(spec.activeDeadlineSeconds);
    const issuers = run.resources.find(
      (r) => r.type === "kubernetes:yaml/v2:ConfigGroup" && r.name === "cluster-issuers",
    );
    expect(issuers!.dependencies).toContain(job!.urn);
  });

  test("the API check may do what `check api` does: create CertificateRequests, bound to the Job's account", () => {
    // cert-manager v1.21's checker dry-run-creates CertificateRequests (pkg/util/cmapichecker); a
    // Role without that verb makes every attempt "forbidden" and the Job fail after --wait.
    const role = find(
      run.resources,
      "kubernetes:rbac.authorization.k8s.io/v1:Role",
      "cert-manager-api-ready",
    );
    const binding = find(
      run.resources,
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
      "cert-manager-api-ready",
    );
    const job = find(run.resources, "kubernetes:batch/v1:Job", "cert-manager-api-ready").inputs as any;
    const grants = ((role.inputs as any).rules as any[]).flatMap((rule) =>
      rule.apiGroups.flatMap((group: string) =>
        rule.resources.flatMap((resource: string) =>
          rule.verbs.map((verb: string) => `${verb} ${resource}.${group}`),
        ),
      ),
    );
    expect(grants).toEqual(["create certificaterequests.cert-manager.io"]);
    expect((role.inputs as any).metadata.namespace).toBe(CERT_MANAGER_NAMESPACE);
    expect((binding.inputs as any).roleRef).toMatchObject({ kind: "Role", name: "cert-manager-api-ready" });
    expect((binding.inputs as any).subjects).toEqual([
      {
        kind: "ServiceAccount",
        name: job.spec.template.spec.serviceAccountName,
        namespace: CERT_MANAGER_NAMESPACE,
      },
    ]);
    expect(job.metadata.namespace).toBe(CERT_MANAGER_NAMESPACE);
  });

  test("the ClusterIssuers: Let's Encrypt staging and production, DNS-01 via Cloudflare, after cert-manager", () => {
    const issuers = find(run.resources, "kubernetes:yaml/v2:ConfigGroup", "cluster-issuers");
    const objs = issuers.inputs.objs as any[];
    // Let's Encrypt's ACME v2 directories (letsencrypt.org/docs/acme-protocol-updates, /docs/staging-environment).
    expect(objs.map((o) => [o.kind, o.metadata.name, o.spec.acme.server])).toEqual([
      ["ClusterIssuer", "letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"],
      ["ClusterIssuer", "letsencrypt-prod", "https://acme-v02.api.letsencrypt.org/directory"],
    ]);
    for (const issuer of objs) {
      expect(issuer.spec.acme.email).toBe(ingressSettings().acmeEmail);
      // Selected by the certificates' zone; the TXT goes where `_acme-challenge.<host>` points (the
      // challenge zone), the only zone cert-manager's token may edit.
      expect(issuer.spec.acme.solvers).toEqual([
        {
          selector: { dnsZones: [config(stack, "dns").zone] },
          dns01: { cnameStrategy: "Follow", cloudflare: { apiTokenSecretRef: DNS_TOKEN_SECRET } },
        },
      ]);
    }
    const secret = find(run.resources, "kubernetes:core/v1:Secret", DNS_TOKEN_SECRET.name);
    expect(secret.inputs.metadata).toMatchObject({
      name: DNS_TOKEN_SECRET.name,
      namespace: CERT_MANAGER_NAMESPACE,
    });
    // The token is only ever a secret, even as the preview's placeholder.
    expect(isSecret(secret.inputs.data)).toBe(true);
    // Ordering: the Secret after the chart; the issuers after both.
    const certManager = chart("cert-manager").urn;
    expect(secret.dependencies).toContain(certManager);
    expect(issuers.dependencies).toEqual(expect.arrayContaining([certManager, secret.urn]));
  });

  test("each host's Certificate: issued by an issuer that exists, into the Secret its Ingress serves, awaited until Ready", () => {
    const issuers = (
      find(run.resources, "kubernetes:yaml/v2:ConfigGroup", "cluster-issuers").inputs.objs as any[]
    ).map((o) => o.metadata.name);
    const certificates = ofType(run.resources, "kubernetes:cert-manager.io/v1:Certificate");
    const bySecret = new Map(certificates.map((c) => [(c.inputs.spec as any).secretName, c]));
    const ingresses = ofType(run.resources, "kubernetes:networking.k8s.io/v1:Ingress");
    const served = ingresses.flatMap((i) => ((i.inputs.spec as any).tls ?? []) as any[]);
    expect(served.map((t) => t.secretName).sort()).toEqual([...bySecret.keys()].sort());
    for (const tls of served) {
      const certificate = bySecret.get(tls.secretName)!;
      const spec = certificate.inputs.spec as any;
      expect([spec.dnsNames, spec.issuerRef.kind, issuers.includes(spec.issuerRef.name)]).toEqual([
        tls.hosts,
        "ClusterIssuer",
        true,
      ]);
      expect(spec.issuerRef.name).toBe(CLUSTER_ISSUER);
      expect((certificate.inputs.metadata as any).namespace).toBe(APP_NAMESPACE);
      expect((certificate.inputs.metadata as any).annotations).toEqual({
        "pulumi.com/waitFor": "condition=Ready",
        "pulumi.com/timeoutSeconds": String(CERTIFICATE_TIMEOUT_SECONDS),
      });
      // After the issuers; and the Ingress that serves it after the Certificate is issued.
      expect(certificate.dependencies).toContain(
        find(run.resources, "kubernetes:yaml/v2:ConfigGroup", "cluster-issuers").urn,
      );
    }
    for (const ingress of ingresses) {
      const annotations = (ingress.inputs.metadata as any).annotations;
      // No ingress-shim: a second Certificate for the same Secret would fight Pulumi's.
      expect(Object.keys(annotations).filter((k) => k.startsWith("cert-manager.io/"))).toEqual([]);
      expect((ingress.inputs.spec as any).ingressClassName).toBe(INGRESS_CLASS);
    }
    expect(certificateObject({ host: "app.example.com", secretName: "x-tls", namespace: "ns" }).spec).toEqual(
      {
        secretName: "x-tls",
        dnsNames: ["app.example.com"],
        issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: CLUSTER_ISSUER },
      },
    );
  });

  test("the policy pack's LoadBalancer allow-list admits the controller's Service", () => {
    const policy = JSON.parse(
      fs.readFileSync(path.join(PROJECT_ROOT, "policies", "config", `${stack}.json`), "utf8"),
    );
    const allowed: string[] = policy["k8s-load-balancer-services-allowed"].allowedLoadBalancerServices;
    expect(
      allowed.some((pattern) => globMatches(pattern, `${INGRESS_NAMESPACE}/${CONTROLLER_SERVICE}`)),
    ).toBe(true);
  });

  test("every ingress resource uses the cluster's Kubernetes provider", () => {
    const k8sProvider = find(run.resources, "pulumi:providers:kubernetes", "k8s").urn;
    const component = find(run.resources, "healthflow:ingress:Ingress", "ingress").urn;
    const children = run.resources.filter((r) => r.parent === component);
    expect(children.length).toBeGreaterThanOrEqual(6);
    for (const r of children)
      expect([r.name, r.provider?.split("::").slice(0, -1).join("::")]).toEqual([r.name, k8sProvider]);
  });
});

describe("the chart checks are real", () => {
  const controller = () =>
    chartFiles("nginx-ingress", config("production", "ingress").controller.chartVersion);
  const certManager = () =>
    chartFiles("cert-manager", config("production", "ingress").certManager.chartVersion);

  test("a misspelt key is found in either chart; free-form maps and Kubernetes-typed keys are not", () => {
    expect(
      unknownKeyPaths(
        {
          controller: {
            replicas: 2,
            config: { entries: { anything: "x" } },
            resources: { limits: { cpu: "1" } },
            podDisruptionBudget: { maxUnavailable: 1 },
          },
        },
        controller(),
      ),
    ).toEqual(["controller.replicas"]);
    expect(
      unknownKeyPaths({ crds: { enable: true }, resources: { limits: { cpu: "1" } } }, certManager()),
    ).toEqual(["crds.enable"]);
  });

  test("the schemas refuse wrong types, including inside Kubernetes objects they reference", () => {
    expect(schemaErrors({ controller: { replicaCount: "two" } } as any, controller()).join("\n")).toMatch(
      /replicaCount/,
    );
    expect(
      schemaErrors({ controller: { securityContext: { runAsUser: "nginx" } } } as any, controller()).join(
        "\n",
      ),
    ).toMatch(/\/controller\/securityContext\/runAsUser .*io\.k8s\.api\.core\.v1\.SecurityContext/);
    expect(schemaErrors({ crds: { enabled: "yes" } } as any, certManager()).join("\n")).toMatch(/crds/);
    expect(schemaErrors({ crds: { enable: true } } as any, certManager()).join("\n")).toMatch(
      /additionalProperties|must NOT have additional/,
    );
  });

  test("values merge as Helm merges them: maps deep, lists replaced, null removes a default", () => {
    expect(helmMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: null })).toEqual({
      a: { b: 1, c: [3] },
    });
  });

  test("a pinned version without vendored files fails, naming what to do", () => {
    expect(() => chartFiles("nginx-ingress", "9.9.9")).toThrow(/vendor the chart's files/);
  });
});

describe("ingress settings", () => {
  const settingsOf = (stack: string, overrides: Record<string, ConfigOverride> = {}, updating = false) => {
    const { config: values, secretKeys } = readStackConfig(stack, overrides);
    const plain = Object.fromEntries(
      Object.entries(values)
        .filter(([k]) => k.startsWith("healthflow:"))
        .map(([k, v]) => [k.slice("healthflow:".length), v]),
    );
    return parseSettings({ stack, values: plain, secretKeys: new Set(secretKeys), updating });
  };
  const problems = (stack: string, overrides: Record<string, ConfigOverride>, updating = false) => {
    try {
      settingsOf(stack, overrides, updating);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error("expected a ConfigError");
  };

  test("production refuses a single controller or cert-manager replica; staging may run one cert-manager", () => {
    const ingress = config("production", "ingress");
    const message = problems("production", {
      "healthflow:ingress": {
        ...ingress,
        controller: { ...ingress.controller, minReplicas: 1 },
        certManager: { ...ingress.certManager, replicas: 1 },
      },
    });
    expect(message).toMatch(/healthflow:ingress\.controller\.minReplicas = 1: must be >= 2 in production/);
    expect(message).toMatch(/healthflow:ingress\.certManager\.replicas = 1: must be >= 2 in production/);
    expect(config("staging", "ingress").certManager.replicas).toBe(1);
    expect(() => settingsOf("staging")).not.toThrow();
  });

  test("versions must be exact, and a cloud stack without the section is refused", () => {
    const ingress = config("staging", "ingress");
    expect(
      problems("staging", {
        "healthflow:ingress": { ...ingress, certManager: { ...ingress.certManager, chartVersion: "1.21" } },
      }),
    ).toMatch(/certManager\.chartVersion = "1\.21": must be an exact chart version such as v1\.21\.1/);
    expect(problems("staging", { "healthflow:ingress": null })).toMatch(
      /healthflow:ingress = \(not set\): is required for environment "staging"/,
    );
  });

  test("the DNS-01 token is refused in plain text and kept a secret when encrypted", async () => {
    expect(problems("production", { "healthflow:cloudflareDnsToken": "cf-plain-text" })).toMatch(
      /healthflow:cloudflareDnsToken = \(a plain-text value, not shown\): is stored in plain text; it must be a secret/,
    );
    const settings = settingsOf("production", {
      "healthflow:cloudflareDnsToken": { secret: "cf-encrypted" },
    });
    expect(await (settings.secrets.cloudflareDnsToken as any).isSecret).toBe(true);
  });

  test("a preview runs without the DNS-01 token; an update of a cloud stack refuses to start", () => {
    expect(() => settingsOf("staging")).not.toThrow();
    expect(problems("staging", {}, true)).toMatch(
      /healthflow:cloudflareDnsToken = \(not set\): is required to deploy environment "staging" \(cert-manager's DNS-01\)/,
    );
    // With the stack file's placeholders replaced (an update refuses those too: tests/settings/placeholders.test.ts).
    expect(() =>
      settingsOf(
        "staging",
        { ...realValues("staging"), "healthflow:cloudflareDnsToken": { secret: "cf" } },
        true,
      ),
    ).not.toThrow();
    expect(() => settingsOf("dev", {}, true)).not.toThrow();
  });
});

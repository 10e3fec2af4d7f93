import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { find, type ProgramRun } from "../../harness";
import { plannedRun } from "../../harness/plans";
import { nginxTest } from "../nginx/realNginx";
import { vendoredValues } from "../monitoring/helmValues";

// What the public can reach through the ingress, and what the F5 NGINX Ingress Controller makes of
// the rate limits. Ingress → Service port → targetPort → container port is resolved here as
// Kubernetes resolves it (a named targetPort is the container port of that name in the pods the
// Service selects).

const METRICS_PORT = 9464;
type Obj = Record<string, any>;
const objects = (run: ProgramRun, kind: string) =>
  run.resources.filter((r) => r.type.endsWith(`:${kind}`) && r.custom).map((r) => r.inputs as Obj);
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The container ports a Service port reaches, in the Deployments whose pods it selects. */
function containerPorts(run: ProgramRun, service: Obj, servicePort: Obj): number[] {
  const pods = objects(run, "Deployment").filter(
    (d) =>
      d.metadata.namespace === service.metadata.namespace &&
      selects(service.spec.selector, d.spec.template.metadata.labels),
  );
  expect(pods.length).toBeGreaterThan(0);
  return pods.flatMap((d) =>
    d.spec.template.spec.containers.flatMap((c: Obj) =>
      (c.ports ?? [])
        .filter((p: Obj) =>
          typeof servicePort.targetPort === "string"
            ? p.name === servicePort.targetPort
            : p.containerPort === (servicePort.targetPort ?? servicePort.port),
        )
        .map((p: Obj) => p.containerPort),
    ),
  );
}

describe.each(["staging", "production"])("what the public can reach in %s", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const api = () => objects(run, "Deployment").find((d) => d.metadata.name === "healthflow-api")!;

  test("no Ingress path reaches the port Prometheus scrapes /metrics on", () => {
    // The scraped port, as the PodMonitor names it in the api's pods.
    const monitor = objects(run, "PodMonitor").find((m) => m.metadata.name === "healthflow-api")!;
    const [endpoint] = monitor.spec.podMetricsEndpoints;
    expect(endpoint.path).toBe("/metrics");
    const scraped = api()
      .spec.template.spec.containers.flatMap((c: Obj) => c.ports)
      .find((p: Obj) => p.name === endpoint.port).containerPort;
    const reached = objects(run, "Ingress").flatMap((ingress) =>
      (ingress.spec.rules ?? []).flatMap((rule: Obj) =>
        (rule.http?.paths ?? []).flatMap((p: Obj) => {
          const service = objects(run, "Service").find(
            (s) =>
              s.metadata.name === p.backend.service.name &&
              s.metadata.namespace === ingress.metadata.namespace,
          )!;
          const port = service.spec.ports.find((sp: Obj) => sp.port === p.backend.service.port.number);
          return containerPorts(run, service, port);
        }),
      ),
    );
    expect(reached.length).toBeGreaterThanOrEqual(4);
    expect([...new Set(reached)].sort()).toEqual([3000, 3001]);
    expect(reached).not.toContain(scraped);
    // No Service of the program targets it either, by number or by name.
    for (const service of objects(run, "Service").filter((s) => s.spec?.selector))
      for (const port of service.spec.ports)
        expect(containerPorts(run, service, port)).not.toContain(scraped);
  });

  test("Prometheus scrapes the api on its metrics port, and only Prometheus' namespace may reach it", () => {
    const [container] = api().spec.template.spec.containers;
    expect(container.ports).toContainEqual({ name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" });
    // The app learns the port from its environment (the contract with the api's image).
    expect(container.env).toContainEqual({ name: "METRICS_PORT", value: String(METRICS_PORT) });
    const monitor = objects(run, "PodMonitor").find((m) => m.metadata.name === "healthflow-api")!;
    const [endpoint] = monitor.spec.podMetricsEndpoints;
    expect(container.ports.find((p: Obj) => p.name === endpoint.port).containerPort).toBe(METRICS_PORT);
    const admitting = objects(run, "NetworkPolicy").filter((p) =>
      (p.spec.ingress ?? []).some((rule: Obj) =>
        (rule.ports ?? []).some((q: Obj) => q.port === METRICS_PORT),
      ),
    );
    expect(admitting.map((p) => p.metadata.name)).toEqual(["allow-prometheus"]);
    expect(admitting[0].spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
    ]);
  });

  test("every pod-to-pod allowance in the namespace is allowed at both ends (default-deny covers egress too)", () => {
    const policies = objects(run, "NetworkPolicy").filter((p) => p.metadata.namespace !== undefined);
    const egressAllows = (from: Obj, to: Obj, port: number) =>
      policies.some(
        (p) =>
          selects(p.spec.podSelector.matchLabels ?? {}, from) &&
          (p.spec.egress ?? []).some(
            (rule: Obj) =>
              rule.to.some((peer: Obj) => peer.podSelector && selects(peer.podSelector.matchLabels, to)) &&
              rule.ports.some((q: Obj) => q.port === port),
          ),
      );
    const pairs = policies.flatMap((p) =>
      (p.spec.ingress ?? []).flatMap((rule: Obj) =>
        (rule.from ?? [])
          .filter((peer: Obj) => peer.podSelector && !peer.namespaceSelector)
          .flatMap((peer: Obj) =>
            rule.ports.map((q: Obj) => ({
              from: peer.podSelector.matchLabels,
              to: p.spec.podSelector.matchLabels,
              port: q.port,
            })),
          ),
      ),
    );
    expect(pairs).toEqual([{ from: { app: "healthflow-web" }, to: { app: "healthflow-api" }, port: 3001 }]);
    for (const { from, to, port } of pairs)
      expect([from, to, port, egressAllows(from, to, port)]).toEqual([from, to, port, true]);
    // web calls the api inside the namespace, on the port both policies open.
    const config = objects(run, "ConfigMap").find((c) => c.metadata.name === "healthflow-config")!;
    expect(config.data.API_INTERNAL_URL).toBe("http://healthflow-api:3001");
  });
});

// The F5 NGINX Ingress Controller 5.5 (nginx/kubernetes-ingress v5.5.4): a minion takes these
// annotations from its master unless it sets them (internal/configs/annotations.go,
// minionInheritanceList; docs "Mergeable Ingress Types"); the master itself has no locations.
const MINION_INHERITS = [
  "nginx.org/limit-req-rate",
  "nginx.org/limit-req-key",
  "nginx.org/limit-req-zone-size",
  "nginx.org/limit-req-delay",
  "nginx.org/limit-req-no-delay",
  "nginx.org/limit-req-burst",
  "nginx.org/limit-req-dry-run",
  "nginx.org/limit-req-log-level",
  "nginx.org/limit-req-reject-code",
  "nginx.org/limit-req-scale",
  "nginx.org/client-max-body-size",
  "nginx.org/proxy-read-timeout",
  "nginx.org/proxy-send-timeout",
];
const TYPE = "nginx.org/mergeable-ingress-type";

/** The annotations each Ingress's locations end up with, after the controller's inheritance. */
function locationAnnotations(ingresses: Obj[]): { name: string; annotations: Record<string, string> }[] {
  return ingresses
    .filter((i) => i.metadata.annotations?.[TYPE] !== "master")
    .map((ingress) => {
      const own: Record<string, string> = ingress.metadata.annotations ?? {};
      if (own[TYPE] !== "minion") return { name: ingress.metadata.name, annotations: own };
      const host = ingress.spec.rules[0].host;
      const master = ingresses.find(
        (i) => i.metadata.annotations?.[TYPE] === "master" && i.spec.rules[0].host === host,
      )!;
      const inherited = Object.fromEntries(
        MINION_INHERITS.filter((k) => k in master.metadata.annotations && !(k in own)).map((k) => [
          k,
          master.metadata.annotations[k],
        ]),
      );
      return { name: ingress.metadata.name, annotations: { ...inherited, ...own } };
    });
}

/** The controller's scaleRatelimit (internal/configs/ingress.go): rate / replicas, rounded down; r/s below 1 becomes r/m. */
function scaledRate(rate: string, replicas: number): string {
  const [, n, unit] = /^(\d+)(r\/s|r\/m)$/.exec(rate)!;
  let share = Number(n) / replicas;
  let scaledUnit = unit;
  if (unit === "r/s" && share < 1) [share, scaledUnit] = [share * 60, "r/m"];
  return `${Math.trunc(share)}${scaledUnit}`;
}

describe.each(["staging", "production"])("the ingress rate limits of %s", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });

  test("every location with a rate limit divides it among the controller's replicas (limit-req-scale)", () => {
    const limited = locationAnnotations(objects(run, "Ingress")).filter(
      (l) => l.annotations["nginx.org/limit-req-rate"],
    );
    // Every location of both hosts: /socket.io too, whose long-polling is ordinary requests.
    expect(limited.map((l) => l.name).sort()).toEqual(
      ["healthflow-api-auth", "healthflow-api-root", "healthflow-api-socketio", "healthflow-web"].sort(),
    );
    for (const { name, annotations } of limited)
      expect([name, annotations["nginx.org/limit-req-scale"]]).toEqual([name, "true"]);
    // The controller counts its replicas on its own Service's EndpointSlice, which it watches
    // when it reports Ingress status (the chart's -external-service): that stays on.
    const chart = find(run.resources, "kubernetes:helm.sh/v4:Chart", "nginx-ingress").inputs as Obj;
    const chartDefault = vendoredValues("nginx-ingress", chart.version) as Obj;
    expect(
      chart.values.controller?.reportIngressStatus?.enable ??
        chartDefault.controller.reportIngressStatus.enable,
    ).toBe(true);
  });

  test("each replica's share of every rate is one nginx accepts, at every replica count the HPA allows", () => {
    const controller = JSON.parse(run.stack.config["healthflow:ingress"]).controller;
    const rates = locationAnnotations(objects(run, "Ingress"))
      .map((l) => l.annotations["nginx.org/limit-req-rate"])
      .filter(Boolean);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-limit-req-"));
    const zones: string[] = [];
    for (let replicas = controller.minReplicas; replicas <= controller.maxReplicas; replicas++)
      for (const rate of rates) zones.push(scaledRate(rate, replicas));
    const conf = [
      "pid nginx.pid;",
      "events {}",
      "http {",
      "  access_log off;",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${t};`),
      ...zones.map((rate, i) => `  limit_req_zone $binary_remote_addr zone=z${i}:1m rate=${rate};`),
      "}",
    ].join("\n");
    fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
    const result = nginxTest(dir, path.join(dir, "nginx.conf"));
    expect([result.status, result.output]).toEqual([0, expect.stringContaining("test is successful")]);
    // The check is real: a rate below one request a minute per replica is refused.
    fs.writeFileSync(
      path.join(dir, "zero.conf"),
      conf.replace(/rate=[^;]+;/, `rate=${scaledRate("5r/m", 6)};`),
    );
    expect(nginxTest(dir, path.join(dir, "zero.conf")).output).toMatch(/invalid rate "rate=0r\/m"/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

test("the controller's scaling as the source does it: rounded down, r/s under one per replica becomes r/m", () => {
  expect(scaledRate("100r/s", 6)).toBe("16r/s");
  expect(scaledRate("10r/m", 3)).toBe("3r/m");
  expect(scaledRate("2r/s", 3)).toBe("40r/m");
  expect(scaledRate("10r/m", 11)).toBe("0r/m");
});

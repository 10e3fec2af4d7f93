/**
 * The logs that leave the nodes (issue 30, point 5): Fluent Bit ships the app namespace's container
 * logs and the ingress controller's access log to two CloudWatch log groups under a key of their own.
 *
 * Fluent Bit itself is in neither Debian nor the npm registry, so its pipeline is read here by a
 * hand-written reader of its classic configuration (`sections` below: `[SECTION]` headers, one
 * `key value` a line, as the Fluent Bit manual's "Classic mode" format describes), and the tail
 * inputs' paths are matched with Node's glob matcher (`path.matchesGlob`, glob(3) semantics: `*` never
 * crosses a `/`) against file names as kubelet links them:
 * /var/log/containers/<pod>_<namespace>_<container>-<container id>.log
 * (kubernetes pkg/kubelet/kuberuntime/kuberuntime_container.go, logSymlink). What is in the access
 * log itself is proven on a real nginx (tests/components/ingress/accessLog.test.ts).
 */
import * as path from "path";
import { find, ofType, type RegisteredResource } from "../../harness";
import { plannedRun } from "../../harness/plans";
import { unknownKeyPaths, vendoredValues } from "../monitoring/helmValues";
import { loadFixtures, refOf } from "../../charts/fixtures";
import { matchesFilter } from "../../harness/filterPattern";

const CHART = "kubernetes:helm.sh/v4:Chart";
const ID = "0123456789abcdef".repeat(4);
const file = (pod: string, namespace: string, container: string) =>
  `/var/log/containers/${pod}_${namespace}_${container}-${ID}.log`;

/** Fluent Bit's classic configuration, read: each section's name and its keys (in order, repeated keys kept). */
function sections(text: string): { name: string; entries: [string, string][] }[] {
  const out: { name: string; entries: [string, string][] }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const header = /^\[([A-Z]+)\]$/.exec(line);
    if (header) {
      out.push({ name: header[1], entries: [] });
      continue;
    }
    const entry = /^(\S+)\s+(.+)$/.exec(line);
    if (!entry || out.length === 0) throw new Error(`not a Fluent Bit classic config line: ${raw}`);
    out[out.length - 1].entries.push([entry[1], entry[2]]);
  }
  return out;
}
const get = (s: { entries: [string, string][] }, key: string) =>
  s.entries.find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
/** Fluent Bit's Match: a tag pattern where `*` matches any run of characters. */
const tagMatches = (pattern: string, tag: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(tag);

describe.each(["staging", "production"])("container logs in %s", (stack) => {
  let resources: RegisteredResource[];
  let values: any;
  let pipeline: ReturnType<typeof sections>;
  beforeAll(() => {
    resources = plannedRun(stack).resources;
    values = find(resources, CHART, "fluent-bit").inputs.values;
    const { service, inputs, filters, outputs } = values.config;
    pipeline = sections([service, inputs, filters, outputs].join("\n"));
  });
  const of = (name: string) => pipeline.filter((s) => s.name === name);
  const groups = () =>
    ofType(resources, "aws:cloudwatch/logGroup:LogGroup").filter(
      (g) =>
        String((g.inputs as any).name).includes("/containers/") ||
        String((g.inputs as any).name).endsWith("/access"),
    );

  test("two log groups, each under a rotating customer key and a retention, protected in production", () => {
    const names = groups().map((g) => (g.inputs as any).name);
    expect(names.sort()).toEqual([
      `/healthflow/healthflow-${stack}/containers/healthflow`,
      `/healthflow/healthflow-${stack}/ingress/access`,
    ]);
    const key = find(resources, "aws:kms/key:Key", "containers-logs-key");
    expect((key.inputs as any).enableKeyRotation).toBe(true);
    for (const group of groups()) {
      const inputs = group.inputs as any;
      expect([inputs.name, typeof inputs.kmsKeyId, inputs.retentionInDays > 0]).toEqual([
        inputs.name,
        "string",
        true,
      ]);
      expect([inputs.name, group.protect]).toEqual([inputs.name, stack === "production"]);
    }
    // Lei 12.965/2014 (Marco Civil da Internet), art. 15: six months of an application's access logs.
    if (stack === "production")
      for (const group of groups()) expect((group.inputs as any).retentionInDays).toBeGreaterThanOrEqual(180);
  });

  test("the app namespace's containers and the controller's main container are read; nothing else is", () => {
    const paths = of("INPUT").map((input) => {
      expect([get(input, "Name"), get(input, "multiline.parser")]).toEqual(["tail", "cri"]);
      return get(input, "Path")!;
    });
    const read = (f: string) =>
      paths.some((p) => p.split(",").some((glob) => path.matchesGlob(f, glob.trim())));
    const shipped = [
      file("api-7d9f8c6b5-x2kqz", "healthflow", "api"),
      file("worker-5c4b7f9d8-q8wmn", "healthflow", "worker"),
      file("healthflow-migrate-3f2a1b-7xk2p", "healthflow", "migrate"),
      file("nginx-ingress-controller-6b8d9f7c4-hv2lx", "nginx-ingress", "nginx-ingress"),
    ];
    const kept = [
      file("nginx-ingress-controller-6b8d9f7c4-hv2lx", "nginx-ingress", "init-nginx-ingress"),
      file("coredns-6d4b75cb6d-2xq9z", "kube-system", "coredns"),
      file("aws-node-8xk2p", "kube-system", "aws-node"),
      file("fluent-bit-7xk2p", "logging", "fluent-bit"),
      file("cert-manager-7d9f8c6b5-x2kqz", "cert-manager", "cert-manager-controller"),
      file("prometheus-kube-prometheus-stack-prometheus-0", "monitoring", "prometheus"),
      // A pod elsewhere whose name mentions the app's namespace.
      file("healthflow-debug", "default", "shell"),
    ];
    expect(shipped.filter((f) => !read(f))).toEqual([]);
    expect(kept.filter(read)).toEqual([]);
  });

  test("of the controller only stdout is shipped (its access log); stderr, with nginx's error log, is not", () => {
    const [ingressInput] = of("INPUT").filter((i) => get(i, "Path")!.includes("_nginx-ingress_"));
    const tag = get(ingressInput, "Tag")!.replace("*", "var.log.containers.x.log");
    const grep = of("FILTER").filter((f) => tagMatches(get(f, "Match")!, tag));
    expect(grep.map((f) => [get(f, "Name"), get(f, "Regex")])).toEqual([["grep", "stream ^stdout$"]]);
    // The cri parser's `stream` field holds the CRI line's stream: its regex is
    // ^(?<time>.+?) (?<stream>stdout|stderr) (?<_p>F|P) (?<log>.*)$ (fluent-bit v5.1.1,
    // src/multiline/flb_ml_parser_cri.c).
    const [field, pattern] = get(grep[0], "Regex")!.split(/\s+/);
    expect([field, new RegExp(pattern).test("stdout"), new RegExp(pattern).test("stderr")]).toEqual([
      "stream",
      true,
      false,
    ]);
  });

  test("each input's records reach exactly one output, into a group the stack creates, which is never auto-created", () => {
    const created = groups().map((g) => (g.inputs as any).name);
    const outputs = of("OUTPUT");
    for (const input of of("INPUT")) {
      const tag = get(input, "Tag")!.replace("*", "var.log.containers.x.log");
      const to = outputs.filter((o) => tagMatches(get(o, "Match")!, tag));
      expect([tag, to.length]).toEqual([tag, 1]);
      expect([
        get(to[0], "Name"),
        get(to[0], "region"),
        created.includes(get(to[0], "log_group_name")!),
      ]).toEqual(["cloudwatch_logs", "sa-east-1", true]);
      // Fluent Bit's cloudwatch_logs: auto_create_group defaults to false; an explicit Off says so twice.
      expect(get(to[0], "auto_create_group")).toMatch(/^(off|false)$/i);
    }
    expect(new Set(outputs.map((o) => get(o, "log_group_name"))).size).toBe(2);
  });

  test("Fluent Bit may put events in those two groups only: no group creation, no reads, no other group", () => {
    const policy = JSON.parse(
      (find(resources, "aws:iam/rolePolicy:RolePolicy", "fluent-bit-policy").inputs as any).policy,
    );
    const statements = policy.Statement as { Effect: string; Action: string[]; Resource: string[] }[];
    const actions = statements.flatMap((s) => s.Action);
    // The calls its cloudwatch_logs output makes without auto_create_group and log_retention_days
    // (fluent-bit v5.1.1, plugins/out_cloudwatch_logs/cloudwatch_api.c).
    expect(actions.sort()).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    const names = groups().map((g) => (g.inputs as any).name);
    for (const resource of statements.flatMap((s) => s.Resource)) {
      const m = /^arn:aws:logs:sa-east-1:\d{12}:log-group:(.+):\*$/.exec(resource);
      expect([resource, m !== null && names.includes(m[1])]).toEqual([resource, true]);
    }
  });

  test("the credentials reach the chart's own service account, and the chart waits for them and for the groups", () => {
    const association = find(
      resources,
      "aws:eks/podIdentityAssociation:PodIdentityAssociation",
      "fluent-bit",
    );
    const fixture = loadFixtures().find((f) => f.chart === "fluent-bit")!;
    const daemonSet = fixture.objects.find((o) => o.kind === "DaemonSet")!;
    const pod = (daemonSet as any).spec.template.spec;
    expect([(association.inputs as any).namespace, (association.inputs as any).serviceAccount]).toEqual([
      daemonSet.metadata.namespace,
      pod.serviceAccountName,
    ]);
    expect(fixture.objects.map(refOf)).toContain(
      `ServiceAccount ${daemonSet.metadata.namespace}/${pod.serviceAccountName}`,
    );
    const chart = find(resources, CHART, "fluent-bit");
    for (const needed of [
      association,
      ...groups(),
      find(resources, "aws:iam/rolePolicy:RolePolicy", "fluent-bit-policy"),
    ])
      expect([needed.name, chart.dependencies.includes(needed.urn)]).toEqual([needed.name, true]);
  });

  test("the node's logs are mounted read-only; the one writable host path is Fluent Bit's own offsets", () => {
    const mounts = values.daemonSetVolumeMounts as { name: string; mountPath: string; readOnly?: boolean }[];
    const hostPaths = Object.fromEntries(
      (values.daemonSetVolumes as { name: string; hostPath: { path: string } }[]).map((v) => [
        v.name,
        v.hostPath.path,
      ]),
    );
    const writable = mounts.filter((m) => !m.readOnly).map((m) => hostPaths[m.name]);
    expect(mounts.filter((m) => m.readOnly).map((m) => hostPaths[m.name])).toEqual(["/var/log"]);
    expect(writable).toHaveLength(1);
    // Outside /var/log, so the read-only mount never hides it, and where every DB of the inputs lives.
    expect(writable[0].startsWith("/var/log")).toBe(false);
    for (const input of of("INPUT")) expect(path.dirname(get(input, "DB")!)).toBe(writable[0]);
    const [service] = of("SERVICE");
    expect(get(service, "storage.path")!.startsWith(`${writable[0]}/`)).toBe(true);
  });

  test("what is read but not yet delivered waits on the node's disk, within a tenth of its root volume", () => {
    // The DB moves a file's offset when a line is read (in_tail): a chunk held only in memory would be
    // lost with the pod. Fluent Bit's storage.type filesystem keeps it under storage.path.
    for (const input of of("INPUT"))
      expect([get(input, "Alias"), get(input, "storage.type")]).toEqual([get(input, "Alias"), "filesystem"]);
    const gib = (size: string) => {
      const m = /^(\d+)([MG])$/.exec(size);
      if (!m) throw new Error(`not a Fluent Bit size: ${size}`);
      return Number(m[1]) / (m[2] === "M" ? 1024 : 1);
    };
    const buffered = of("OUTPUT").reduce((sum, o) => sum + gib(get(o, "storage.total_limit_size")!), 0);
    const disks = ofType(resources, "aws:ec2/launchTemplate:LaunchTemplate").map(
      (t) => (t.inputs as any).blockDeviceMappings[0].ebs.volumeSize as number,
    );
    expect(disks.length).toBeGreaterThan(0);
    expect(buffered).toBeGreaterThan(0);
    expect(buffered).toBeLessThanOrEqual(Math.min(...disks) / 10);
  });

  test("the restore drill's figures become metrics: its JSON success line matches, an app's line does not", () => {
    // The line scripts/drill.sh prints (tests/scripts/backup-roundtrip.test.ts runs it for real).
    const drillLine = {
      drill: "ok",
      dump: "healthflow_20261206T080000Z.dump",
      tables: 41,
      rows: 912345,
      bytes: 73400320,
      seconds: 412,
    };
    const appLine = { level: "info", msg: "GET /api/v1/patients 200", drill: "ok" };
    const filters = ofType(resources, "aws:cloudwatch/logMetricFilter:LogMetricFilter")
      .map((f) => f.inputs as any)
      .filter((f) => f.metricTransformation.namespace === "HealthFlow/RestoreDrill");
    expect(filters.map((f) => f.metricTransformation.name).sort()).toEqual([
      "Bytes",
      "Rows",
      "Seconds",
      "Succeeded",
      "Tables",
    ]);
    for (const filter of filters) {
      expect(filter.logGroupName).toBe(`/healthflow/healthflow-${stack}/containers/healthflow`);
      expect([
        filter.name,
        matchesFilter(filter.pattern, drillLine),
        matchesFilter(filter.pattern, appLine),
      ]).toEqual([filter.name, true, false]);
      // A count of one, or a number the line carries.
      const value = filter.metricTransformation.value as string;
      const figure = value === "1" ? 1 : (drillLine as Record<string, unknown>)[value.replace(/^\$\./, "")];
      expect([value, typeof figure]).toEqual([value, "number"]);
    }
  });

  test("every key the program sets is one the chart declares (Helm ignores a misspelt key)", () => {
    const version = (find(resources, CHART, "fluent-bit").inputs as any).version;
    expect(unknownKeyPaths(values, vendoredValues("fluent-bit", version))).toEqual([]);
  });
});

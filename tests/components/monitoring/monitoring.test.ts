import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { alarmSpecs, alarmTopicPolicy } from "../../../components/monitoring/alarms";
import { API_JOB, BACKUP_CRONJOB } from "../../../components/monitoring/rules";
import {
  COMPONENT_RESOURCES,
  HEARTBEAT_FILE,
  RECEIVER_FILE,
  RECEIVER_SECRET,
  SUBCHART_PASSTHROUGH,
} from "../../../components/monitoring/values";
import { runProgram } from "../../harness/programs";
import { ConfigError } from "../../../settings";
import { settingsOfStackConfig } from "../../../tools/plan/settings";
import {
  find,
  isSecret,
  ofType,
  type ProgramRun,
  type RegisteredResource,
  secretValues,
} from "../../harness";
import { knownRun, plannedRun, plannedStack } from "../../harness/plans";
import { type ConfigOverride, PROJECT_ROOT, readStackConfig } from "../../../tools/engine/stackConfig";
import { unknownKeyPaths, vendoredValues } from "./helmValues";
import { loadFixtures } from "../../charts/fixtures";
import { matchesEventPattern } from "../../harness/eventPattern";
import { MONITORING_CLAIMS } from "../../../settings/catalog/volumes";

const settingsOf = (stack: string, overrides: Record<string, ConfigOverride> = {}) =>
  settingsOfStackConfig(readStackConfig(stack, overrides));
const CHART_TYPE = "kubernetes:helm.sh/v4:Chart";
const GIB = 1024 ** 3;
const GUIDE = {
  HighErrorRate: {
    expr: 'rate(http_requests_total{status=~"5.."}[5m]) > 0.1',
    for: "5m",
    severity: "critical",
  },
  HighLatency: {
    expr: "histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m])) > 2",
    for: "5m",
    severity: "warning",
  },
  PodNotReady: { for: "5m", severity: "critical" },
};

describe.each(["staging", "production"])("the monitoring of %s", (stack) => {
  let run: ProgramRun;
  const settings = settingsOf(stack);
  const monitoring = settings.monitoring;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const inputs = (type: string, name: string) =>
    find(run.resources, type, name).inputs as Record<string, any>;
  const chart = () => inputs(CHART_TYPE, "kube-prometheus-stack");
  const customResources = (kind: string) =>
    ofType(run.resources, `kubernetes:monitoring.coreos.com/v1:${kind}`).map((r) => r.inputs as any);
  const byName = (kind: string, name: string) => {
    const found = run.resources.find(
      (r) => r.type.endsWith(`:${kind}`) && (r.inputs as any).metadata?.name === name,
    );
    if (!found) throw new Error(`no ${kind} ${name}`);
    return found;
  };

  test("kube-prometheus-stack is a Helm Chart v4 at the version pinned in settings, whose values.yaml is vendored", () => {
    const { chart: name, version, repositoryOpts, namespace } = chart();
    expect([name, version, repositoryOpts.repo]).toEqual([
      "kube-prometheus-stack",
      "88.5.3",
      "https://prometheus-community.github.io/helm-charts",
    ]);
    expect(version).toBe(monitoring.chartVersion);
    expect(namespace).toBe("monitoring");
    const vendored = path.join(PROJECT_ROOT, "charts", "kube-prometheus-stack", version, "values.yaml");
    expect(fs.existsSync(vendored)).toBe(true);
  });

  test("every key path of the chart values exists in the chart's values.yaml (or is a listed subchart key)", () => {
    const defaults = vendoredValues("kube-prometheus-stack", chart().version);
    expect(unknownKeyPaths(chart().values, defaults, SUBCHART_PASSTHROUGH)).toEqual([]);
    // The check is real: a misspelt key is caught, and subchart keys need their listing.
    const misspelt = { prometheus: { prometheusSpec: { retension: "7d" } } };
    expect(unknownKeyPaths(misspelt, defaults, SUBCHART_PASSTHROUGH)).toEqual([
      "prometheus.prometheusSpec.retension",
    ]);
    expect(unknownKeyPaths(chart().values, defaults).sort()).toEqual([...SUBCHART_PASSTHROUGH].sort());
  });

  test("Prometheus keeps the stack's retention on a gp3 volume of the stack's size, with the stack's resources", () => {
    const spec = chart().values.prometheus.prometheusSpec;
    expect(spec.retention).toBe(`${monitoring.prometheusRetentionDays}d`);
    expect(spec.storageSpec.volumeClaimTemplate.spec).toEqual({
      storageClassName: "gp3",
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: `${monitoring.prometheusStorageGiB}Gi` } },
    });
    // Size-based retention drops old blocks before the volume is full.
    expect(parseInt(spec.retentionSize, 10)).toBeLessThan(monitoring.prometheusStorageGiB);
    expect(spec.resources).toEqual(monitoring.prometheusResources);
    expect(spec.externalLabels).toEqual({ environment: stack });
    // The StorageClass is the cluster's, and monitoring waits for it.
    const storageClass = byName("StorageClass", "gp3");
    expect((storageClass.inputs as any).parameters.type).toBe("gp3");
    expect(find(run.resources, "healthflow:monitoring:Monitoring", "monitoring").dependencies).toContain(
      storageClass.urn,
    );
  });

  test("every component the chart runs has requests and limits, within the policy pack's ratios", () => {
    const v = chart().values;
    const all = {
      prometheus: v.prometheus.prometheusSpec.resources,
      operator: v.prometheusOperator.resources,
      configReloader: v.prometheusOperator.prometheusConfigReloader.resources,
      alertmanager: v.alertmanager.alertmanagerSpec.resources,
      grafana: v.grafana.resources,
      grafanaSidecar: v.grafana.sidecar.resources,
      kubeStateMetrics: v["kube-state-metrics"].resources,
      nodeExporter: v["prometheus-node-exporter"].resources,
    };
    const cpu = (q: string) => (q.endsWith("m") ? parseInt(q, 10) / 1000 : Number(q));
    const mem = (q: string) => parseInt(q, 10) * (q.endsWith("Gi") ? 1024 : 1);
    for (const [component, r] of Object.entries(all)) {
      expect([component, Object.keys(r.requests), Object.keys(r.limits)]).toEqual([
        component,
        ["cpu", "memory"],
        ["cpu", "memory"],
      ]);
      expect(cpu(r.limits.cpu) / cpu(r.requests.cpu)).toBeLessThanOrEqual(8);
      expect(mem(r.limits.memory) / mem(r.requests.memory)).toBeLessThanOrEqual(4);
    }
    expect(v.grafana.resources).toEqual(COMPONENT_RESOURCES.grafana);
  });

  test("security contexts: the sidecars and node-exporter drop everything; only node-exporter's namespace allows host access", () => {
    const v = chart().values;
    for (const context of [
      v.grafana.containerSecurityContext,
      v.grafana.sidecar.securityContext,
      v["prometheus-node-exporter"].containerSecurityContext,
    ]) {
      expect(context).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
    }
    const enforce = (ns: string) =>
      (byName("Namespace", ns).inputs as any).metadata.labels["pod-security.kubernetes.io/enforce"];
    expect(v["prometheus-node-exporter"].namespaceOverride).toBe("node-exporter");
    expect([enforce("monitoring"), enforce("node-exporter")]).toEqual(["baseline", "privileged"]);
    // Chart v4 runs no Helm hooks: the admission webhook (whose certificate hook Jobs make) is off.
    expect(v.prometheusOperator.admissionWebhooks.enabled).toBe(false);
    expect(v.prometheusOperator.tls.enabled).toBe(false);
  });

  test("Grafana's admin password is generated, held as a secret in a Secret the chart only names", () => {
    const v = chart().values;
    expect(v.grafana.admin.existingSecret).toBe("grafana-admin");
    expect(JSON.stringify(v)).not.toMatch(/adminPassword/);
    const secret = byName("Secret", "grafana-admin");
    expect(find(run.resources, CHART_TYPE, "kube-prometheus-stack").dependencies).toContain(secret.urn);
    expect(
      inputs("random:index/randomPassword:RandomPassword", "grafana-admin-password").length,
    ).toBeGreaterThanOrEqual(32);

    const known = knownRun(stack);
    const password = (
      find(known.resources, "random:index/randomPassword:RandomPassword", "grafana-admin-password").outputs
        .result as { value: string }
    ).value;
    expect(password).toHaveLength(32);
    const knownSecret = find(known.resources, "kubernetes:core/v1:Secret", "grafana-admin");
    expect(secretValues(knownSecret.inputs)["admin-password"]).toBe(password);
    const outputs = known.outputs.monitoring as Record<string, unknown>;
    expect(isSecret(outputs.grafanaAdminPassword)).toBe(true);
    const unwrapped = (r: RegisteredResource) =>
      JSON.stringify(r.inputs, (_k, value) => (isSecret(value) ? "[secret]" : value));
    expect(known.resources.filter((r) => unwrapped(r).includes(password)).map((r) => r.urn)).toEqual([]);
  });

  test("with no credentials set (a preview), Alertmanager routes everything, Watchdog too, to a null receiver", () => {
    expect(settings.secrets.alertReceiverSecret).toBeUndefined();
    expect(settings.secrets.alertHeartbeatUrl).toBeUndefined();
    const { config, alertmanagerSpec } = chart().values.alertmanager;
    expect(config.route.receiver).toBe("null");
    expect(config.receivers).toEqual([{ name: "null" }]);
    expect(alertmanagerSpec.secrets).toEqual([]);
    expect(run.resources.some((r) => (r.inputs as any).metadata?.name === RECEIVER_SECRET)).toBe(false);
    expect(alertmanagerSpec.storage.volumeClaimTemplate.spec.storageClassName).toBe("gp3");
  });

  test("Prometheus and Alertmanager run the stack's replicas, with a PodDisruptionBudget from two", () => {
    const v = chart().values;
    const replicas = monitoring.replicas!;
    expect(replicas).toBe(stack === "production" ? 2 : 1);
    expect([v.prometheus.prometheusSpec.replicas, v.alertmanager.alertmanagerSpec.replicas]).toEqual([
      replicas,
      replicas,
    ]);
    // minAvailable 1 over a single replica would let no drain evict it: no PDB below two.
    for (const pdb of [v.prometheus.podDisruptionBudget, v.alertmanager.podDisruptionBudget]) {
      expect(pdb).toEqual({ enabled: replicas >= 2, minAvailable: 1 });
      if (pdb.enabled) expect(replicas - pdb.minAvailable).toBeGreaterThanOrEqual(1);
    }
    // Watchdog, the heartbeat's alert, is one of the chart's default rules (group "general").
    expect(v.defaultRules.rules.general).not.toBe(false);
  });

  test("Prometheus and Alertmanager replicas go to different zones: a hard rule over the pods the chart's anti-affinity selects", () => {
    // Each replica's volume is a zonal EBS volume; the chart's own anti-affinity is a soft per-node
    // rule. The spread selects the pods the chart's anti-affinity selects, as the reviewed fixture
    // records it (templates/prometheus/prometheus.yaml, templates/alertmanager/alertmanager.yaml).
    const v = chart().values;
    const fixture = loadFixtures().find((f) => f.chart === "kube-prometheus-stack")!;
    const rendered = (kind: string) => fixture.objects.find((o) => o.kind === kind) as any;
    for (const [spec, kind] of [
      [v.prometheus.prometheusSpec, "Prometheus"],
      [v.alertmanager.alertmanagerSpec, "Alertmanager"],
    ] as const) {
      expect(spec.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: "topology.kubernetes.io/zone",
          whenUnsatisfiable: "DoNotSchedule",
          labelSelector: { matchLabels: expect.any(Object) },
        },
      ]);
      const term =
        rendered(kind).spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]
          .podAffinityTerm;
      const selected = term.labelSelector.matchExpressions.map((e: any) => [e.key, e.values]);
      expect(
        Object.entries(spec.topologySpreadConstraints[0].labelSelector.matchLabels)
          .map(([key, value]) => [key, [value]])
          .sort(),
      ).toEqual(selected.sort());
    }
  });

  test("the api is scraped as the guide's scrape config says: its pods by `app: healthflow-api`, every 15 s", () => {
    const api = byName("Deployment", "healthflow-api").inputs as any;
    const podMonitor = customResources("PodMonitor").find((m) => m.metadata.name === API_JOB);
    expect(podMonitor.spec.selector.matchLabels).toEqual({ app: "healthflow-api" });
    expect(api.spec.template.metadata.labels.app).toBe("healthflow-api");
    expect(podMonitor.spec.namespaceSelector.matchNames).toEqual([api.metadata.namespace]);
    const [endpoint] = podMonitor.spec.podMetricsEndpoints;
    expect(api.spec.template.spec.containers[0].ports.map((p: any) => p.name)).toContain(endpoint.port);
    expect(endpoint.interval).toBe("15s");
    // The job label the alert rules filter on.
    expect(endpoint.relabelings).toEqual([{ action: "replace", targetLabel: "job", replacement: API_JOB }]);
  });

  test("the ingress controller and cert-manager are scraped; every scrape object and rule waits for the chart's CRDs", () => {
    const monitors = Object.fromEntries(customResources("PodMonitor").map((m) => [m.metadata.name, m.spec]));
    expect(Object.keys(monitors).sort()).toEqual([
      "cert-manager",
      "fluent-bit",
      "healthflow-api",
      "nginx-ingress",
    ]);
    expect(monitors["nginx-ingress"].namespaceSelector.matchNames).toEqual(["nginx-ingress"]);
    expect(monitors["nginx-ingress"].podMetricsEndpoints[0].port).toBe("prometheus");
    expect(monitors["cert-manager"].namespaceSelector.matchNames).toEqual(["cert-manager"]);
    expect(monitors["cert-manager"].podMetricsEndpoints[0].honorLabels).toBe(true);
    const chartUrn = find(run.resources, CHART_TYPE, "kube-prometheus-stack").urn;
    const crs = run.resources.filter((r) => r.type.startsWith("kubernetes:monitoring.coreos.com/v1:"));
    expect(crs).toHaveLength(6);
    for (const r of crs)
      expect([r.name, r.dependencies]).toEqual([r.name, expect.arrayContaining([chartUrn])]);
    expect(chart().values.prometheus.prometheusSpec).toMatchObject({
      podMonitorSelectorNilUsesHelmValues: false,
      ruleSelectorNilUsesHelmValues: false,
    });
  });

  test("Fluent Bit is scraped where the chart's pods serve their metrics (the reviewed render: labels, namespace, port)", () => {
    const monitor = customResources("PodMonitor").find((m) => m.metadata.name === "fluent-bit")!.spec;
    const fixture = loadFixtures().find((f) => f.chart === "fluent-bit")!;
    const daemonSet = fixture.objects.find((o) => o.kind === "DaemonSet") as any;
    const pod = daemonSet.spec.template;
    expect(monitor.namespaceSelector.matchNames).toEqual([daemonSet.metadata.namespace]);
    expect(pod.metadata.labels).toMatchObject(monitor.selector.matchLabels);
    const endpoint = monitor.podMetricsEndpoints[0];
    expect(pod.spec.containers[0].ports.map((p: any) => p.name)).toContain(endpoint.port);
    // Fluent Bit serves Prometheus text at /api/v2/metrics/prometheus (v5.1.1, src/http_server/api/v2/metrics.c).
    expect(endpoint.path).toBe("/api/v2/metrics/prometheus");
    // The alerts read the job their relabeling sets.
    const job = endpoint.relabelings.find((r: any) => r.targetLabel === "job").replacement;
    const rules = customResources("PrometheusRule")
      .flatMap((r) => r.spec.groups)
      .flatMap((g: any) => g.rules);
    for (const alert of ["LogShippingStalled", "LogShipperDown"])
      expect(rules.find((r: any) => r.alert === alert).expr).toContain(`job="${job}"`);
  });

  test("the PrometheusRule objects carry the rule groups promtool checks in the plan's rule file; the guide's alerts as the guide wrote them", () => {
    const groups = customResources("PrometheusRule").flatMap((r) => r.spec.groups);
    // The file the plan writes is what tests/components/monitoring/promtool.test.ts gives promtool.
    const ruleFile = path.join(plannedStack(stack).dir, "prometheus-rules.yaml");
    expect(groups).toEqual((yaml.load(fs.readFileSync(ruleFile, "utf8")) as { groups: unknown[] }).groups);
    const rules = Object.fromEntries(groups.flatMap((g: any) => g.rules).map((r: any) => [r.alert, r]));
    for (const [alert, guide] of Object.entries(GUIDE)) {
      expect([alert, rules[alert].for, rules[alert].labels.severity]).toEqual([
        alert,
        guide.for,
        guide.severity,
      ]);
      if ("expr" in guide) expect(rules[alert].expr).toBe(guide.expr);
    }
    const apiNamespace = (byName("Deployment", "healthflow-api").inputs as any).metadata.namespace;
    expect(rules.PodNotReady.expr).toContain(
      `kube_pod_status_ready{condition="true", namespace="${apiNamespace}"} == 0`,
    );
    // The backup alert watches the CronJob the backups component creates.
    const cronJob = find(run.resources, "kubernetes:batch/v1:CronJob", "postgres-backup").inputs as any;
    expect([cronJob.metadata.name, cronJob.metadata.namespace]).toEqual([BACKUP_CRONJOB, apiNamespace]);
    expect(rules.BackupMissing.expr).toContain(`cronjob="${BACKUP_CRONJOB}"`);
  });

  test("CloudWatch alarms on every RDS instance and cache node, with the stack's thresholds, to the encrypted SNS topic", () => {
    // The monitoring's own alarms (the audit trail's CIS alarms: tests/components/audit/).
    const alarms = ofType(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) =>
      a.urn.includes("healthflow:monitoring:Monitoring$"),
    );
    const t = monitoring.alarms!;
    const rdsIds = ofType(run.resources, "aws:rds/instance:Instance").map(
      (r) => (r.inputs as any).identifier,
    );
    const cacheGroup = inputs(
      "aws:elasticache/replicationGroup:ReplicationGroup",
      "cache",
    ).replicationGroupId;
    const byMetric = (metric: string) =>
      alarms.filter((a) => (a.inputs as any).metricName === metric).map((a) => a.inputs as any);

    const threshold = (metric: string) => [...new Set(byMetric(metric).map((a) => a.threshold))];
    expect(threshold("CPUUtilization")).toEqual([t.databaseCpuPercent]);
    expect(threshold("FreeStorageSpace")).toEqual([t.databaseFreeStorageGiB * GIB]);
    expect(threshold("DatabaseConnections")).toEqual([t.databaseConnections]);
    expect(threshold("DatabaseMemoryUsagePercentage")).toEqual([t.cacheMemoryPercent]);
    expect(threshold("Evictions")).toEqual([0]);
    for (const metric of ["CPUUtilization", "FreeStorageSpace", "DatabaseConnections"]) {
      expect(
        byMetric(metric)
          .map((a) => a.dimensions.DBInstanceIdentifier)
          .sort(),
      ).toEqual([...rdsIds].sort());
    }
    const replicas = rdsIds.filter((id: string) => id.includes("-replica-"));
    expect(replicas).toHaveLength(settings.database!.readReplicas);
    expect(byMetric("ReplicaLag").map((a) => [a.dimensions.DBInstanceIdentifier, a.threshold])).toEqual(
      replicas.map((id: string) => [id, t.replicaLagSeconds]),
    );
    const nodes = byMetric("Evictions").map((a) => a.dimensions.CacheClusterId);
    expect(nodes).toHaveLength(settings.cache!.nodes);
    for (const node of nodes) expect(node).toMatch(new RegExp(`^${cacheGroup}-00\\d$`));

    const topic = find(run.resources, "aws:sns/topic:Topic", "alarms");
    expect((topic.inputs as any).kmsMasterKeyId).toBeDefined();
    for (const alarm of alarms) {
      expect(alarm.propertyDependencies.alarmActions).toEqual([topic.urn]);
      expect(alarm.propertyDependencies.okActions).toEqual([topic.urn]);
    }
    const emails = ofType(run.resources, "aws:sns/topicSubscription:TopicSubscription").map(
      (r) => r.inputs as any,
    );
    expect(emails.map((s) => [s.protocol, s.endpoint])).toEqual(
      (monitoring.alarmEmails ?? []).map((e) => ["email", e]),
    );
    expect(
      find(run.resources, "aws:sns/topicPolicy:TopicPolicy", "alarms").propertyDependencies.policy,
    ).toContain(topic.urn);
    const policy = JSON.parse(alarmTopicPolicy("arn:aws:sns:sa-east-1:111122223333:t", "111122223333"));
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Condition: { StringEquals: { "aws:SourceAccount": "111122223333" } },
      }),
      // EventBridge (the AWS Health rule): "You can't use Condition blocks in Amazon SNS topic
      // policies for EventBridge" (EventBridge user guide, Amazon SNS permissions).
      {
        Sid: expect.any(String),
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: "arn:aws:sns:sa-east-1:111122223333:t",
      },
    ]);
  });

  test("AWS Health events for EC2, EKS, RDS and ElastiCache reach the alarm topic; other events do not", () => {
    const rule = find(run.resources, "aws:cloudwatch/eventRule:EventRule", "aws-health");
    const pattern = JSON.parse((rule.inputs as any).eventPattern);
    // AWS Health events as EventBridge delivers them (AWS Health user guide, event schema), one per
    // service the stack runs on, with their documented event type codes.
    const health = (service: string, eventTypeCode: string, eventTypeCategory: string) => ({
      version: "0",
      id: "7bf73129-1428-4cd3-a780-95db273d1602",
      "detail-type": "AWS Health Event",
      source: "aws.health",
      account: "111122223333",
      time: "2026-12-01T09:01:22Z",
      region: "sa-east-1",
      resources: [],
      detail: {
        eventArn: `arn:aws:health:sa-east-1::event/${service}/${eventTypeCode}/${eventTypeCode}_1`,
        service,
        eventTypeCode,
        eventTypeCategory,
        eventScopeCode: "ACCOUNT_SPECIFIC",
        eventDescription: [{ language: "en_US", latestDescription: "..." }],
      },
    });
    for (const event of [
      health("EKS", "AWS_EKS_PLANNED_LIFECYCLE_EVENT", "accountNotification"),
      health("RDS", "AWS_RDS_MAINTENANCE_SCHEDULED", "scheduledChange"),
      health("ELASTICACHE", "AWS_ELASTICACHE_BEFORE_UPDATE_DUE_NOTIFICATION", "scheduledChange"),
      health("EC2", "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED", "scheduledChange"),
      health("EC2", "AWS_EC2_OPERATIONAL_ISSUE", "issue"),
    ]) {
      expect([event.detail.eventTypeCode, matchesEventPattern(pattern, event)]).toEqual([
        event.detail.eventTypeCode,
        true,
      ]);
    }
    for (const event of [
      health("S3", "AWS_S3_OPERATIONAL_ISSUE", "issue"),
      { ...health("EC2", "AWS_EC2_OPERATIONAL_ISSUE", "issue"), source: "aws.ec2" },
      {
        ...health("EKS", "AWS_EKS_PLANNED_LIFECYCLE_EVENT", "issue"),
        "detail-type": "AWS API Call via CloudTrail",
      },
    ]) {
      expect(matchesEventPattern(pattern, event)).toBe(false);
    }
    const target = find(run.resources, "aws:cloudwatch/eventTarget:EventTarget", "aws-health");
    expect(target.propertyDependencies.arn).toEqual([
      find(run.resources, "aws:sns/topic:Topic", "alarms").urn,
    ]);
    expect(target.propertyDependencies.rule).toEqual([rule.urn]);
  });

  test("the topic's key lets CloudWatch use it for alarms of this account only", () => {
    const key = find(run.resources, "aws:kms/key:Key", "alarms-key");
    const policy = JSON.parse((key.inputs as any).policy);
    const cloudwatch = policy.Statement.filter(
      (st: any) => st.Principal?.Service === "cloudwatch.amazonaws.com",
    );
    expect(cloudwatch).toHaveLength(1);
    // The harness's account is AWS's documentation account, 111122223333.
    expect(cloudwatch[0].Condition).toEqual({ StringEquals: { "aws:SourceAccount": "111122223333" } });
  });

  test("the topic's key lets EventBridge encrypt to it, or its messages are dropped", () => {
    // EventBridge user guide, troubleshooting ("My rule runs, but I don't see any messages published
    // into my Amazon SNS topic"): the key policy must allow events.amazonaws.com kms:Decrypt and
    // kms:GenerateDataKey.
    const key = find(run.resources, "aws:kms/key:Key", "alarms-key");
    const policy = JSON.parse((key.inputs as any).policy);
    const events = policy.Statement.filter((st: any) => st.Principal?.Service === "events.amazonaws.com");
    expect(events).toHaveLength(1);
    const allowed = [events[0].Action].flat();
    for (const action of ["kms:Decrypt", "kms:GenerateDataKey"]) {
      expect(allowed.some((a: string) => new RegExp(`^${a.replace("*", ".*")}$`).test(action))).toBe(true);
    }
    expect(events[0]).toMatchObject({ Effect: "Allow", Resource: "*" });
  });
});

describe("monitoring beyond the stack files", () => {
  test("dev runs on local Docker: no monitoring resources", () => {
    const run = plannedRun("dev");
    expect(run.resources.filter((r) => /monitoring|cloudwatch|sns|helm/i.test(r.type))).toEqual([]);
    expect(run.outputs.monitoring).toBeNull();
  });

  test("with both secrets, Alertmanager reads them from a mounted Secret, never from Helm values", async () => {
    const key = "0123456789abcdef0123456789ABCDEF";
    const heartbeat = "https://hc-ping.com/heartbeat-must-not-leak";
    const run = await runProgram("production", {
      computed: "known",
      overrides: {
        "healthflow:alertReceiverSecret": { secret: key },
        "healthflow:alertHeartbeatUrl": { secret: heartbeat },
      },
    });
    const chart = find(run.resources, CHART_TYPE, "kube-prometheus-stack");
    const secret = find(run.resources, "kubernetes:core/v1:Secret", "alertmanager-receivers");
    expect((secret.inputs as any).metadata).toMatchObject({ name: RECEIVER_SECRET, namespace: "monitoring" });
    expect(secretValues(secret.inputs)).toEqual({ receiver: key, heartbeat });
    expect(chart.dependencies).toContain(secret.urn);
    // The chart's values name the files of the mounted Secret (/etc/alertmanager/secrets/<name>/<key>).
    const values = (chart.inputs as any).values;
    expect(values.alertmanager.alertmanagerSpec.secrets).toEqual([RECEIVER_SECRET]);
    expect([RECEIVER_FILE, HEARTBEAT_FILE]).toEqual([
      `/etc/alertmanager/secrets/${RECEIVER_SECRET}/receiver`,
      `/etc/alertmanager/secrets/${RECEIVER_SECRET}/heartbeat`,
    ]);
    expect(values.alertmanager.config.route.receiver).toBe("pagerduty");
    expect(values.alertmanager.config.receivers.map((r: any) => r.name)).toEqual([
      "null",
      "pagerduty",
      "heartbeat",
    ]);
    const text = JSON.stringify(run.resources.filter((r) => r.urn !== secret.urn).map((r) => r.inputs));
    expect(text).not.toContain(key);
    expect(text).not.toContain("heartbeat-must-not-leak");
  });

  test("staging and production must set the monitoring keys; limits below requests are refused", () => {
    const message = (overrides: Record<string, ConfigOverride>) => {
      try {
        settingsOf("staging", overrides);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      return "";
    };
    const staging = JSON.parse(readStackConfig("staging").config["healthflow:monitoring"]);
    const rest = { ...staging, alarms: undefined, chartVersion: undefined };
    expect(message({ "healthflow:monitoring": rest })).toContain(
      'healthflow:monitoring.alarms = (not set): is required for environment "staging"',
    );
    expect(message({ "healthflow:monitoring": rest })).toContain(
      "healthflow:monitoring.chartVersion = (not set)",
    );
    const small = {
      ...staging,
      prometheusResources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "1", memory: "1Gi" } },
    };
    expect(message({ "healthflow:monitoring": small })).toContain(
      "healthflow:monitoring.prometheusResources.limits",
    );
    expect(message({ "healthflow:monitoring": { ...staging, alarmEmails: ["not-an-address"] } })).toContain(
      "must be an e-mail address",
    );
  });

  test("the alarm set follows the topology: a replica gets a lag alarm, every cache node two alarms", () => {
    const thresholds = settingsOf("production").monitoring.alarms!;
    const specs = alarmSpecs({
      namePrefix: "p",
      thresholds,
      databases: [
        { identifier: "p-postgres", replica: false },
        { identifier: "p-postgres-replica-1", replica: true },
      ],
      cacheNodes: ["p-cache-001", "p-cache-002"],
    });
    expect(specs.map((s) => s.name)).toEqual([
      "p-postgres-cpu",
      "p-postgres-free-storage",
      "p-postgres-connections",
      "p-postgres-replica-1-cpu",
      "p-postgres-replica-1-free-storage",
      "p-postgres-replica-1-connections",
      "p-postgres-replica-1-replica-lag",
      "p-cache-001-memory",
      "p-cache-001-evictions",
      "p-cache-002-memory",
      "p-cache-002-evictions",
    ]);
    expect(specs.find((s) => s.metricName === "Evictions")!.treatMissingData).toBe("notBreaching");
  });
});

describe("Prometheus's volume: a larger size is safe, a smaller one refused", () => {
  // prometheus-operator names Prometheus's claims <claim template>-<pod> (the chart fixture records
  // the template prometheus-kube-prometheus-stack-prometheus-db and the StatefulSet
  // prometheus-kube-prometheus-stack-prometheus), and the EBS CSI driver tags each volume with its
  // claim (aws-ebs-csi-driver docs/tagging.md). Production asks for 100 GiB.
  const claim = (ordinal: number) =>
    `prometheus-kube-prometheus-stack-prometheus-db-prometheus-kube-prometheus-stack-prometheus-${ordinal}`;
  // Replica n's volume in the nth zone, attached to its node, unless a test says otherwise.
  const volume = (ordinal: number, size: number, extra: { zone?: string; status?: "available" } = {}) => ({
    volumeId: `vol-0a1b2c3d4e5f6071${ordinal}`,
    size,
    zone: `sa-east-1${"abc"[ordinal]}`,
    ...extra,
    tags: {
      stack: "production",
      "kubernetes.io/created-for/pvc/namespace": "monitoring",
      "kubernetes.io/created-for/pvc/name": claim(ordinal),
    },
  });
  const withVolumes = (volumes: ReturnType<typeof volume>[]) =>
    runProgram("production", {
      invokesFrom: {
        module: path.join(PROJECT_ROOT, "tools", "engine", "awsAnswers.ts"),
        export: "ebsVolumeAnswers",
        args: [volumes],
      },
    });
  const patches = (run: ProgramRun) => ofType(run.resources, "kubernetes:core/v1:PersistentVolumeClaimPatch");
  const prometheusSpec = (run: ProgramRun) =>
    (find(run.resources, CHART_TYPE, "kube-prometheus-stack").inputs as any).values.prometheus.prometheusSpec;

  test("the preflight looks for the claims the operator makes of the StatefulSets the chart's CRs get", () => {
    // A StatefulSet's claims are <claim template>-<StatefulSet>-<ordinal> (Kubernetes StatefulSet docs,
    // "Stable Storage"); the fixture records the operator's StatefulSets and their templates.
    const fixture = loadFixtures().find((f) => f.chart === "kube-prometheus-stack")!;
    const prefixOf = (kind: string) => {
      const statefulSet = (fixture.operatorCreated as any[]).find(
        (o) => o.kind === "StatefulSet" && o.metadata.name.startsWith(`${kind}-`),
      );
      expect(statefulSet.metadata.namespace).toBe(MONITORING_CLAIMS.namespace);
      return `${statefulSet.spec.volumeClaimTemplates[0].metadata.name}-${statefulSet.metadata.name}-`;
    };
    expect(MONITORING_CLAIMS.prometheus).toBe(prefixOf("prometheus"));
    expect(MONITORING_CLAIMS.alertmanager).toBe(prefixOf("alertmanager"));
    expect(claim(1).startsWith(MONITORING_CLAIMS.prometheus)).toBe(true);
  });

  test("raised from 50 GiB: each claim is expanded first, and retention stays within what is provisioned", async () => {
    const run = await withVolumes([volume(0, 50), volume(1, 50)]);
    const expanded = patches(run);
    expect(expanded.map((p) => (p.inputs as any).metadata.name).sort()).toEqual([claim(0), claim(1)]);
    for (const patch of expanded) {
      expect((patch.inputs as any).metadata).toMatchObject({
        namespace: "monitoring",
        // The StatefulSet controller set the request when it created the claim: a server-side apply
        // of another manager conflicts unless forced (pulumi-kubernetes Patch resources).
        annotations: { "pulumi.com/patchForce": "true" },
      });
      expect((patch.inputs as any).spec).toEqual({ resources: { requests: { storage: "100Gi" } } });
      expect(patch.retainOnDelete).toBe(true);
    }
    // The chart's new size reaches the operator only after the claims grew.
    const chart = find(run.resources, CHART_TYPE, "kube-prometheus-stack");
    expect(chart.dependencies).toEqual(expect.arrayContaining(expanded.map((p) => p.urn)));
    // 85 % of the 50 GiB each volume has until the resize is done: floor(42.5).
    expect(prometheusSpec(run).retentionSize).toBe("42GB");
    expect(prometheusSpec(run).storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toBe("100Gi");
  });

  test("one claim already grown, the other not: only the small one is patched, retention follows the smaller", async () => {
    const run = await withVolumes([volume(0, 100), volume(1, 60)]);
    expect(patches(run).map((p) => (p.inputs as any).metadata.name)).toEqual([claim(1)]);
    expect(prometheusSpec(run).retentionSize).toBe("51GB");
  });

  test("at the size asked for, or on a first deploy: nothing to patch, retention is 85 % of the setting", async () => {
    for (const run of [await withVolumes([volume(0, 100), volume(1, 100)]), await withVolumes([])]) {
      expect(patches(run)).toEqual([]);
      expect(prometheusSpec(run).retentionSize).toBe("85GB");
    }
  });

  test("a detached volume is not patched (its claim may be gone, and an apply would create one), but holds retention down", async () => {
    const run = await withVolumes([volume(0, 100), volume(1, 60, { status: "available" })]);
    expect(patches(run)).toEqual([]);
    expect(prometheusSpec(run).retentionSize).toBe("51GB");
  });

  test("both replicas' volumes in one zone: refused, since the zone spread would keep one Pending", async () => {
    const error = await withVolumes([volume(0, 100), volume(1, 100, { zone: "sa-east-1a" })]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String((error as Error)?.message)).toContain(
      `healthflow:monitoring.replicas = 2: cannot all run: Prometheus's volumes vol-0a1b2c3d4e5f60710 (claim ${claim(0)}) and vol-0a1b2c3d4e5f60711 (claim ${claim(1)}) are all in sa-east-1a`,
    );
  });

  test("lowered below a volume's size: refused before anything is created, naming the volume", async () => {
    const error = await withVolumes([volume(0, 150), volume(1, 150)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    const message = String((error as Error)?.message);
    expect(message).toContain(
      `healthflow:monitoring.prometheusStorageGiB = 100: is below the 150 GiB of Prometheus's volume vol-0a1b2c3d4e5f60710 (claim ${claim(0)}): neither a claim nor an EBS volume can shrink; keep 150 or more`,
    );
    expect(message).toContain("nothing was created or changed");
  });
});

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Settings } from "../../settings";
import type { ProvisionedVolume } from "../../settings/catalog/volumes";
import { accountId, kmsKeyPolicy } from "../aws/kms";
import { MONITORING_NAMESPACE } from "../names";
import { podSecurityNamespace } from "../workloads/namespace";
import {
  alarmSpecs,
  alarmTopicPolicy,
  cacheNodeIds,
  databaseInstances,
  EVENTS_USE_KEY,
  HEALTH_SERVICES,
  healthEventPattern,
} from "./alarms";

const HEALTH_SERVICES_TEXT = HEALTH_SERVICES.join(", ");
import { ruleGroups } from "./rules";
import { scrapeObjects } from "./scrape";
import {
  alertingOf,
  CHART,
  CHART_REPO,
  GRAFANA_ADMIN_SECRET,
  monitoringValues,
  NODE_EXPORTER_NAMESPACE,
  RECEIVER_SECRET,
  RELEASE,
} from "./values";
import { secretData } from "../secrets";

/** What the monitoring of a staging/production stack needs. */
export interface MonitoringArgs {
  /** `healthflow:monitoring` with chartVersion, prometheusResources and alarms set. Required. */
  monitoring: Settings["monitoring"];
  /** "staging" or "production": the `environment` label on every alert. Required. */
  environment: string;
  /** Resource names start with this, e.g. "healthflow-production". Required. */
  namePrefix: string;
  /** The read replicas and cache nodes to alarm on: `healthflow:database` / `healthflow:cache`. Required. */
  database: Pick<NonNullable<Settings["database"]>, "readReplicas">;
  cache: Pick<NonNullable<Settings["cache"]>, "nodes">;
  /**
   * `healthflow:alertReceiverSecret`: the credential (a URL, or PagerDuty's key; a secret) of the
   * receiver `monitoring.alertReceiver` names. Default: none, and alerts go to a null receiver.
   */
  alertReceiverSecret?: pulumi.Output<string>;
  /**
   * `healthflow:alertHeartbeatUrl`: the dead man's switch (a secret) the always-firing Watchdog is
   * posted to every minute. Default: none, and Watchdog goes to the null receiver.
   */
  alertHeartbeatUrl?: pulumi.Output<string>;
  /**
   * Prometheus's volumes that already exist, as the preflight found them: those smaller than
   * `monitoring.prometheusStorageGiB` are expanded before the chart changes. Default: none (a
   * first deploy creates them at that size).
   */
  prometheusVolumes?: ProvisionedVolume[];
  awsProvider: aws.Provider;
  k8sProvider: k8s.Provider;
  randomProvider: random.Provider;
  /** Production: `protect` on the alarm topic's KMS key, like every key of the stack. Default false. */
  protect?: boolean;
}

/**
 * kube-prometheus-stack (Prometheus Operator, Prometheus on gp3 with the stack's retention,
 * Alertmanager, Grafana with a generated admin password, kube-state-metrics, node-exporter), the
 * scrape objects for the api, the ingress controller and cert-manager, HealthFlow's alert rules,
 * and CloudWatch alarms on RDS and ElastiCache to an encrypted SNS topic.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v4.Chart;
  /** Grafana's admin password; a secret. */
  readonly grafanaAdminPassword: pulumi.Output<string>;
  /**
   * Grows each Prometheus claim smaller than `sizeGiB` to it, before the chart asks the operator for
   * the new size: a StatefulSet never resizes the claims of its volumeClaimTemplates, and the gp3
   * StorageClass allows expansion, which the EBS CSI driver does online. The claims are patched as
   * prometheus-operator's "Resizing volumes" (Documentation/platform/storage.md) patches them by
   * hand; unlike that procedure, the operator is not paused, so it recreates its StatefulSet on the
   * new claim template (pkg/k8s/statefulset.go ForceUpdateStatefulSet, foreground deletion): the
   * pods restart on the grown claims (docs/monitoring.md).
   *
   * A server-side apply patch of the claim's request, forced (`pulumi.com/patchForce`): the
   * StatefulSet controller set it when it created the claim. Only for attached volumes: an apply
   * creates what does not exist (pulumi-kubernetes await.go creates a Patch with an apply), so a
   * volume left by a deleted claim would become a claim without access modes, which the API refuses.
   * Kept on delete: a claim's request cannot be taken back, only grown.
   */
  private expandPrometheusVolumes(
    sizeGiB: number,
    volumes: ProvisionedVolume[],
    opts: pulumi.CustomResourceOptions,
  ): k8s.core.v1.PersistentVolumeClaimPatch[] {
    return volumes
      .filter((volume) => volume.attached && volume.sizeGiB < sizeGiB)
      .map(
        (volume) =>
          new k8s.core.v1.PersistentVolumeClaimPatch(
            `expand-${volume.claim}`,
            {
              metadata: {
                name: volume.claim,
                namespace: MONITORING_NAMESPACE,
                annotations: { "pulumi.com/patchForce": "true" },
              },
              spec: { resources: { requests: { storage: `${sizeGiB}Gi` } } },
            },
            { ...opts, retainOnDelete: true },
          ),
      );
  }

  /** The SNS topic every CloudWatch alarm notifies. */
  readonly alarmTopic: aws.sns.Topic;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:monitoring:Monitoring", name, {}, opts);
    const { monitoring } = args;
    const { chartVersion, prometheusResources, alarms, replicas } = monitoring;
    if (!chartVersion || !prometheusResources || !alarms || !replicas) {
      throw new Error(
        `the monitoring of ${args.namePrefix} needs chartVersion, prometheusResources, alarms and replicas settings`,
      );
    }
    const alerting = alertingOf({
      monitoring,
      secrets: { alertReceiverSecret: args.alertReceiverSecret, alertHeartbeatUrl: args.alertHeartbeatUrl },
    });
    if (args.alertReceiverSecret && !alerting.receiver) {
      throw new Error(
        `the monitoring of ${args.namePrefix} has an alert receiver secret but no monitoring.alertReceiver`,
      );
    }
    const k8sChild = { parent: this, provider: args.k8sProvider };

    // Everything but node-exporter runs without host access; only its namespace allows it.
    const namespaces = [
      podSecurityNamespace(MONITORING_NAMESPACE, "baseline", k8sChild),
      podSecurityNamespace(NODE_EXPORTER_NAMESPACE, "privileged", k8sChild),
    ];
    const metadata = (secretName: string) => ({
      name: secretName,
      namespace: namespaces[0].metadata.name,
      labels: { "app.kubernetes.io/part-of": "monitoring" },
    });

    this.grafanaAdminPassword = new random.RandomPassword(
      "grafana-admin-password",
      { length: 32, special: false },
      { parent: this, provider: args.randomProvider },
    ).result;
    const secrets: pulumi.Resource[] = [
      new k8s.core.v1.Secret(
        "grafana-admin",
        {
          metadata: metadata(GRAFANA_ADMIN_SECRET),
          type: "Opaque",
          data: secretData({ "admin-user": "admin", "admin-password": this.grafanaAdminPassword }),
        },
        k8sChild,
      ),
    ];
    if (args.alertReceiverSecret || args.alertHeartbeatUrl) {
      const values: Record<string, pulumi.Output<string>> = {};
      if (args.alertReceiverSecret) values.receiver = args.alertReceiverSecret;
      if (args.alertHeartbeatUrl) values.heartbeat = args.alertHeartbeatUrl;
      secrets.push(
        new k8s.core.v1.Secret(
          "alertmanager-receivers",
          { metadata: metadata(RECEIVER_SECRET), type: "Opaque", data: secretData(values) },
          k8sChild,
        ),
      );
    }

    const expansions = this.expandPrometheusVolumes(
      monitoring.prometheusStorageGiB,
      args.prometheusVolumes ?? [],
      k8sChild,
    );
    this.chart = new k8s.helm.v4.Chart(
      "kube-prometheus-stack",
      {
        name: RELEASE,
        chart: CHART,
        version: chartVersion,
        repositoryOpts: { repo: CHART_REPO },
        namespace: namespaces[0].metadata.name,
        values: monitoringValues({
          monitoring: { ...monitoring, prometheusResources, replicas },
          environment: args.environment,
          alerting,
          prometheusVolumes: args.prometheusVolumes,
        }),
      },
      { ...k8sChild, dependsOn: [...namespaces, ...secrets, ...expansions] },
    );

    // The CRDs come with the chart: its custom resources wait for it.
    const afterChart = { ...k8sChild, dependsOn: [this.chart] };
    for (const scrape of scrapeObjects()) {
      new k8s.apiextensions.CustomResource(
        scrape.name,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: scrape.kind,
          metadata: { name: scrape.name, namespace: scrape.namespace },
          spec: scrape.spec,
        },
        afterChart,
      );
    }
    for (const group of ruleGroups()) {
      new k8s.apiextensions.CustomResource(
        `${group.name}-rules`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: {
            name: group.name,
            namespace: MONITORING_NAMESPACE,
            labels: { "app.kubernetes.io/part-of": "healthflow" },
          },
          spec: { groups: [group] },
        },
        afterChart,
      );
    }

    this.alarmTopic = this.alarms(args, alarms);
    this.registerOutputs({
      namespace: MONITORING_NAMESPACE,
      grafanaAdminPassword: this.grafanaAdminPassword,
      alarmTopicArn: this.alarmTopic.arn,
    });
  }

  /**
   * The SNS topic (KMS-encrypted; CloudWatch of this account and EventBridge may publish), its
   * e-mails, the alarms, and the AWS Health events of the stack's services.
   */
  private alarms(args: MonitoringArgs, thresholds: NonNullable<Settings["monitoring"]["alarms"]>) {
    const child = { parent: this, provider: args.awsProvider };
    const key = new aws.kms.Key(
      "alarms-key",
      {
        description: `${args.namePrefix} CloudWatch alarm notifications (SNS)`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        // CloudWatch of this account only (confused-deputy protection, as the topic's own policy).
        policy: kmsKeyPolicy(
          args.awsProvider,
          {
            service: "cloudwatch.amazonaws.com",
            condition: { StringEquals: { "aws:SourceAccount": accountId(args.awsProvider) } },
          },
          [EVENTS_USE_KEY],
        ),
      },
      { ...child, protect: args.protect },
    );
    const topic = new aws.sns.Topic(
      "alarms",
      { name: `${args.namePrefix}-alarms`, kmsMasterKeyId: key.arn },
      child,
    );
    const account = accountId(args.awsProvider);
    new aws.sns.TopicPolicy(
      "alarms",
      {
        arn: topic.arn,
        policy: pulumi.all([topic.arn, account]).apply(([arn, id]) => alarmTopicPolicy(arn, id)),
      },
      child,
    );
    // AWS tells the on-call before it changes things: scheduled maintenance, end of support and
    // forced upgrades of what the stack runs on, as AWS Health events, to the same topic.
    const health = new aws.cloudwatch.EventRule(
      "aws-health",
      {
        name: `${args.namePrefix}-aws-health`,
        description: `${args.namePrefix}: AWS Health events for ${HEALTH_SERVICES_TEXT} to the alarm topic`,
        eventPattern: healthEventPattern(),
      },
      child,
    );
    new aws.cloudwatch.EventTarget("aws-health", { rule: health.name, arn: topic.arn }, child);
    for (const [i, email] of (args.monitoring.alarmEmails ?? []).entries()) {
      new aws.sns.TopicSubscription(
        `alarms-email-${i + 1}`,
        { topic: topic.arn, protocol: "email", endpoint: email },
        child,
      );
    }
    const specs = alarmSpecs({
      namePrefix: args.namePrefix,
      thresholds,
      databases: databaseInstances(args.namePrefix, args.database.readReplicas),
      cacheNodes: cacheNodeIds(args.namePrefix, args.cache.nodes),
    });
    for (const spec of specs) {
      new aws.cloudwatch.MetricAlarm(
        spec.name.slice(args.namePrefix.length + 1),
        {
          name: spec.name,
          alarmDescription: spec.description,
          namespace: spec.namespace,
          metricName: spec.metricName,
          dimensions: spec.dimensions,
          statistic: spec.statistic,
          period: spec.period,
          evaluationPeriods: spec.evaluationPeriods,
          threshold: spec.threshold,
          comparisonOperator: spec.comparisonOperator,
          treatMissingData: spec.treatMissingData,
          alarmActions: [topic.arn],
          okActions: [topic.arn],
        },
        child,
      );
    }
    return topic;
  }
}

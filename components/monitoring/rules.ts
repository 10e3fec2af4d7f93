import { toYaml } from "../yaml";
import { APP_NAMESPACE, LOGGING_NAMESPACE } from "../names";

// HealthFlow's alert rules: one definition, two renderings. The Monitoring component turns each
// group into a PrometheusRule object; the offline plan writes the same groups as a Prometheus
// rule file (.plan/<stack>/prometheus-rules.yaml), which promtool checks and unit-tests
// (monitoring/tests/). Thresholds here are the same in every stack: an error rate or a crash loop
// means the same thing in staging as in production.

/** One alerting rule, in Prometheus' rule-file format. */
export interface AlertRule {
  alert: string;
  expr: string;
  /** How long the condition must hold before the alert fires (omitted: at once). */
  for?: string;
  labels: { severity: "critical" | "warning" };
  annotations: { summary: string; description?: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** The Prometheus job of the api pods: the guide's scrape config names it so (scrape.ts keeps it). */
export const API_JOB = "healthflow-api";
/** The pg_dump CronJob (components/backups); the backup alert watches it by this name. */
export const BACKUP_CRONJOB = "postgres-backup";
/** The restore drill's CronJob (components/backups/job.ts). */
export const DRILL_CRONJOB = "restore-drill";
/** A week between drills (the settings hold the schedule to at least weekly), and a day to finish. */
export const DRILL_MAX_AGE_DAYS = 8;
/** The job name of Fluent Bit's scrape (components/monitoring/scrape.ts), which LogShippingStalled reads. */
export const LOG_SHIPPER_JOB = "fluent-bit";
/** A backup runs daily: 24 h plus two hours of slack for a slow dump. */
export const BACKUP_MAX_AGE_HOURS = 26;
/** cert-manager renews at 30 days before expiry; at 14 days renewal has been failing for two weeks. */
export const CERTIFICATE_MIN_DAYS = 14;
/** Share of the api's requests that may fail before paging (the guide's absolute rate misses quiet hours). */
export const ERROR_RATIO = 0.05;

const app = `namespace="${APP_NAMESPACE}"`;

/** The guide's alerts.yml: its expressions, `for` and severities; PodNotReady limited to the apps. */
function guideGroup(): RuleGroup {
  return {
    name: "healthflow",
    rules: [
      {
        alert: "HighErrorRate",
        expr: 'rate(http_requests_total{status=~"5.."}[5m]) > 0.1',
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: "High error rate detected",
          description: "{{ $labels.pod }} answers more than 0.1 5xx responses a second.",
        },
      },
      {
        alert: "HighLatency",
        expr: "histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m])) > 2",
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "High latency detected",
          description: "The p95 latency of {{ $labels.pod }} is over 2 seconds.",
        },
      },
      {
        alert: "PodNotReady",
        // Pods that finished (the backup and migration Jobs' pods) are never ready; not an alert.
        expr:
          `kube_pod_status_ready{condition="true", ${app}} == 0` +
          ` unless on (namespace, pod) kube_pod_status_phase{phase=~"Succeeded|Failed", ${app}} == 1`,
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Pod not ready",
          description: "{{ $labels.namespace }}/{{ $labels.pod }} has not been ready for 5 minutes.",
        },
      },
    ],
  };
}

/**
 * A CronJob that has not succeeded in `seconds`: its last success is older; or it never succeeded since
 * it was created that long ago; or it does not exist (kube-state-metrics' CronJob series).
 */
function cronJobMissing(selector: string, seconds: number): string {
  return (
    `time() - max(kube_cronjob_status_last_successful_time{${selector}}) > ${seconds}` +
    ` or (time() - max(kube_cronjob_created{${selector}}) > ${seconds}` +
    ` unless max(kube_cronjob_status_last_successful_time{${selector}}))` +
    ` or absent(kube_cronjob_created{${selector}})`
  );
}

/** What operators of this stack need beyond the guide. */
function operationsGroup(): RuleGroup {
  const backup = `${app}, cronjob="${BACKUP_CRONJOB}"`;
  const maxAge = BACKUP_MAX_AGE_HOURS * 3600;
  const drill = `${app}, cronjob="${DRILL_CRONJOB}"`;
  const drillMaxAge = DRILL_MAX_AGE_DAYS * 86400;
  return {
    name: "healthflow-operations",
    rules: [
      {
        alert: "HighErrorRatio",
        expr:
          `sum(rate(http_requests_total{job="${API_JOB}", status=~"5.."}[5m]))` +
          ` / sum(rate(http_requests_total{job="${API_JOB}"}[5m])) > ${ERROR_RATIO}`,
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: `More than ${ERROR_RATIO * 100}% of the api's requests fail`,
          description: `Over ${ERROR_RATIO * 100}% of the api's responses in 5 minutes were 5xx.`,
        },
      },
      {
        alert: "HpaAtMaximum",
        expr:
          `kube_horizontalpodautoscaler_status_current_replicas{${app}}` +
          ` >= kube_horizontalpodautoscaler_spec_max_replicas{${app}}`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "HPA at its maximum for 15 minutes",
          description:
            "{{ $labels.horizontalpodautoscaler }} runs at maxReplicas: raise it (Pulumi.<stack>.yaml) or find the load.",
        },
      },
      {
        alert: "PodCrashLooping",
        expr: `max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", ${app}}[5m]) >= 1`,
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Container in CrashLoopBackOff",
          description: "{{ $labels.pod }}/{{ $labels.container }} keeps crashing: kubectl logs --previous.",
        },
      },
      {
        alert: "ContainerOOMKilled",
        expr:
          `kube_pod_container_status_last_terminated_reason{reason="OOMKilled", ${app}} == 1` +
          ` and on (namespace, pod, container) increase(kube_pod_container_status_restarts_total{${app}}[10m]) > 0`,
        labels: { severity: "warning" },
        annotations: {
          summary: "Container killed for running out of memory",
          description:
            "{{ $labels.pod }}/{{ $labels.container }} was OOMKilled: raise its memory limit or find the leak.",
        },
      },
      {
        alert: "BackupMissing",
        expr: cronJobMissing(backup, maxAge),
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: `No successful PostgreSQL backup in ${BACKUP_MAX_AGE_HOURS} hours`,
          description: `The ${BACKUP_CRONJOB} CronJob has not completed a backup in ${BACKUP_MAX_AGE_HOURS} hours (or is gone): kubectl -n ${APP_NAMESPACE} get jobs.`,
        },
      },
      {
        alert: "RestoreDrillMissing",
        expr: cronJobMissing(drill, drillMaxAge),
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: `No successful restore drill in ${DRILL_MAX_AGE_DAYS} days`,
          description: `No backup has been restored and checked against its manifest in ${DRILL_MAX_AGE_DAYS} days (the ${DRILL_CRONJOB} CronJob): kubectl -n ${APP_NAMESPACE} logs job/<the last ${DRILL_CRONJOB} job>; its logs are in CloudWatch too.`,
        },
      },
      {
        // Fluent Bit retries a refused chunk for ever (Retry_Limit no_limits: no credentials, no
        // permission) and drops one whose group is gone (an error: cloudwatch_api.c, PutLogEvents'
        // ResourceNotFoundException), so a stopped shipper shows as retries or errors without
        // deliveries. Per pod: one node's shipper can fail alone.
        alert: "LogShippingStalled",
        expr:
          `(sum by (pod, name) (rate(fluentbit_output_retries_total{job="${LOG_SHIPPER_JOB}"}[15m])) > 0` +
          ` or sum by (pod, name) (rate(fluentbit_output_errors_total{job="${LOG_SHIPPER_JOB}"}[15m])) > 0)` +
          ` unless sum by (pod, name) (rate(fluentbit_output_proc_records_total{job="${LOG_SHIPPER_JOB}"}[15m])) > 0`,
        for: "15m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Container logs are not reaching CloudWatch",
          description:
            "Fluent Bit {{ $labels.pod }} ({{ $labels.name }}) has retried or failed without delivering for 15 minutes: kubectl -n logging logs {{ $labels.pod }}; after a first deploy, kubectl -n logging rollout restart ds/fluent-bit.",
        },
      },
      {
        // A node without its shipper keeps its logs to itself; a shipper nobody scrapes is unwatched.
        alert: "LogShipperDown",
        expr:
          `kube_daemonset_status_number_unavailable{namespace="${LOGGING_NAMESPACE}", daemonset="fluent-bit"} > 0` +
          ` or absent(up{job="${LOG_SHIPPER_JOB}"} == 1)`,
        for: "15m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Fluent Bit is missing on a node, or not scraped",
          description:
            "Some node's container logs are not shipped: kubectl -n logging get daemonset fluent-bit; kubectl -n logging get pods -o wide.",
        },
      },
      {
        alert: "CertificateExpiringSoon",
        expr: `certmanager_certificate_expiration_timestamp_seconds - time() < ${CERTIFICATE_MIN_DAYS} * 86400`,
        for: "1h",
        labels: { severity: "warning" },
        annotations: {
          summary: `Certificate expires within ${CERTIFICATE_MIN_DAYS} days`,
          description:
            "{{ $labels.namespace }}/{{ $labels.name }} expires soon and cert-manager has not renewed it: kubectl describe certificate.",
        },
      },
    ],
  };
}

/** Every rule group, in order. */
export function ruleGroups(): RuleGroup[] {
  return [guideGroup(), operationsGroup()];
}

/** The groups as a Prometheus rule file (`groups:`), the file promtool reads. */
export function ruleFile(groups: RuleGroup[] = ruleGroups()): string {
  return toYaml({ groups });
}

import type { Settings } from "../../settings";

// CloudWatch alarms for what lives outside the cluster (RDS, ElastiCache), pure: the Monitoring
// component creates one aws.cloudwatch.MetricAlarm per spec. Thresholds come from settings
// (`healthflow:monitoring.alarms`), except evictions, where any eviction is already a fault: Bull
// keeps its queues in Redis and needs `noeviction`, so an evicted key is a lost job.

export type AlarmThresholds = NonNullable<Settings["monitoring"]["alarms"]>;

export interface AlarmSpec {
  /** The alarm's name in CloudWatch, e.g. healthflow-production-postgres-cpu. */
  name: string;
  description: string;
  namespace: "AWS/RDS" | "AWS/ElastiCache";
  metricName: string;
  dimensions: Record<string, string>;
  statistic: "Average" | "Maximum" | "Minimum" | "Sum";
  /** Seconds per datapoint. */
  period: number;
  /** Consecutive breaching datapoints before the alarm fires. */
  evaluationPeriods: number;
  threshold: number;
  comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
  treatMissingData: "missing" | "notBreaching";
}

export interface AlarmTargets {
  /** e.g. "healthflow-production". */
  namePrefix: string;
  thresholds: AlarmThresholds;
  /** RDS instance identifiers: the primary and its read replicas. */
  databases: { identifier: string; replica: boolean }[];
  /** ElastiCache member cluster ids (one per node). */
  cacheNodes: string[];
}

const GIB = 1024 ** 3;

/** RDS identifiers as components/data names them: `<prefix>-postgres`, `<prefix>-postgres-replica-<n>`. */
export function databaseInstances(namePrefix: string, readReplicas: number) {
  return [
    { identifier: `${namePrefix}-postgres`, replica: false },
    ...Array.from({ length: readReplicas }, (_, i) => ({
      identifier: `${namePrefix}-postgres-replica-${i + 1}`,
      replica: true,
    })),
  ];
}

/** ElastiCache names a replication group's nodes `<group id>-001`, `-002`, ... */
export function cacheNodeIds(namePrefix: string, nodes: number): string[] {
  return Array.from({ length: nodes }, (_, i) => `${namePrefix}-cache-${String(i + 1).padStart(3, "0")}`);
}

/** Every alarm of the stack. */
export function alarmSpecs(targets: AlarmTargets): AlarmSpec[] {
  const t = targets.thresholds;
  const specs: AlarmSpec[] = [];
  for (const { identifier, replica } of targets.databases) {
    const rds = (
      suffix: string,
      spec: Omit<AlarmSpec, "name" | "namespace" | "dimensions" | "treatMissingData">,
    ) =>
      specs.push({
        name: `${identifier}-${suffix}`,
        namespace: "AWS/RDS",
        dimensions: { DBInstanceIdentifier: identifier },
        treatMissingData: "missing",
        ...spec,
      });
    rds("cpu", {
      description: `${identifier}: CPU above ${t.databaseCpuPercent}% for 15 minutes.`,
      metricName: "CPUUtilization",
      statistic: "Average",
      period: 300,
      evaluationPeriods: 3,
      threshold: t.databaseCpuPercent,
      comparisonOperator: "GreaterThanThreshold",
    });
    rds("free-storage", {
      description: `${identifier}: less than ${t.databaseFreeStorageGiB} GiB of storage free.`,
      metricName: "FreeStorageSpace",
      statistic: "Minimum",
      period: 300,
      evaluationPeriods: 1,
      threshold: t.databaseFreeStorageGiB * GIB,
      comparisonOperator: "LessThanThreshold",
    });
    rds("connections", {
      description: `${identifier}: more than ${t.databaseConnections} connections for 10 minutes (near max_connections).`,
      metricName: "DatabaseConnections",
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 2,
      threshold: t.databaseConnections,
      comparisonOperator: "GreaterThanThreshold",
    });
    if (replica) {
      rds("replica-lag", {
        description: `${identifier}: more than ${t.replicaLagSeconds} s behind the primary for 5 minutes.`,
        metricName: "ReplicaLag",
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 5,
        threshold: t.replicaLagSeconds,
        comparisonOperator: "GreaterThanThreshold",
      });
    }
  }
  for (const node of targets.cacheNodes) {
    specs.push({
      name: `${node}-memory`,
      description: `${node}: memory above ${t.cacheMemoryPercent}% of maxmemory for 10 minutes; at 100% Bull's writes fail.`,
      namespace: "AWS/ElastiCache",
      metricName: "DatabaseMemoryUsagePercentage",
      dimensions: { CacheClusterId: node },
      statistic: "Average",
      period: 300,
      evaluationPeriods: 2,
      threshold: t.cacheMemoryPercent,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "missing",
    });
    specs.push({
      name: `${node}-evictions`,
      description: `${node}: keys evicted; Bull's queues need noeviction, so jobs may have been lost.`,
      namespace: "AWS/ElastiCache",
      metricName: "Evictions",
      dimensions: { CacheClusterId: node },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    });
  }
  return specs;
}

/**
 * The AWS services whose Health events reach the on-call: what the stack runs on (EC2 nodes, EKS,
 * RDS, ElastiCache). Scheduled maintenance, end of standard support and forced upgrades are announced
 * as AWS Health events days or weeks ahead. The codes are the events' `detail.service` (AWS Health
 * user guide, "Monitoring AWS Health events with Amazon EventBridge", event schema).
 */
export const HEALTH_SERVICES = ["EC2", "EKS", "ELASTICACHE", "RDS"];

/**
 * The EventBridge pattern of the AWS Health events for {@link HEALTH_SERVICES}, every category
 * (issue, scheduledChange, accountNotification). AWS Health sends an account's events to the
 * EventBridge of the region the affected resources are in, so a rule in the stack's region sees
 * them (AWS Health user guide, "Choosing a region").
 */
export function healthEventPattern(): string {
  return JSON.stringify({
    source: ["aws.health"],
    "detail-type": ["AWS Health Event"],
    detail: { service: HEALTH_SERVICES },
  });
}

/**
 * The topic's policy: CloudWatch may publish, for alarms of this account only, and EventBridge
 * may publish (the AWS Health rule). The EventBridge statement has no condition: "You can't use
 * Condition blocks in Amazon SNS topic policies for EventBridge" (EventBridge user guide,
 * "Using resource-based policies for Amazon EventBridge", Amazon SNS permissions).
 */
export function alarmTopicPolicy(topicArn: string, account: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CloudWatchAlarmsOfThisAccount",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
      {
        Sid: "EventBridgeHealthEvents",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
      },
    ],
  });
}

/**
 * What the topic's key must let EventBridge do, or its messages to the encrypted topic are dropped
 * (EventBridge user guide, troubleshooting: "My rule runs, but I don't see any messages published
 * into my Amazon SNS topic", encrypted topics).
 */
export const EVENTS_USE_KEY = {
  Sid: "EventBridgeEncryptsToTopic",
  Effect: "Allow",
  Principal: { Service: "events.amazonaws.com" },
  Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
  Resource: "*",
};

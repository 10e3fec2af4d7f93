import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { podIdentityRole } from "../aws/iam";
import { accountId } from "../aws/kms";
import { encryptedLogGroups } from "../aws/logs";
import { APP_NAMESPACE, INGRESS_NAMESPACE, LOGGING_NAMESPACE } from "../names";

export { LOGGING_NAMESPACE };
import { CONTROLLER_SERVICE } from "../ingress/values";
import { podSecurityNamespace } from "../workloads/namespace";
import { DRILL_METRICS } from "../backups/job";

// The logs that leave the nodes (issue 30, point 5): Fluent Bit, one pod a node, ships the app
// namespace's container logs and the ingress controller's JSON access log to CloudWatch Logs groups
// under a key of their own, with the stack's retention. A node that is replaced, or a pod that is
// deleted, no longer takes its logs with it.
//
// Why Fluent Bit through its chart and not the amazon-cloudwatch-observability EKS add-on: the
// add-on (aws-observability/helm-charts, charts/amazon-cloudwatch-observability) brings an operator
// whose mutating webhook sees every pod (Application Signals' auto-instrumentation), the CloudWatch
// agent with Container Insights metrics (billed per metric, beside our Prometheus), GPU and Neuron
// exporters and its own kube-state-metrics, and ships every namespace's logs to log groups it
// creates itself. We need two sources shipped to groups we create, and nothing else running.

/** The release, and so the chart's fullname and its ServiceAccount (templates/_helpers.tpl: the release name contains the chart name). */
export const FLUENT_BIT_RELEASE = "fluent-bit";
export const FLUENT_BIT_CHART_REPO = "https://fluent.github.io/helm-charts";
export const FLUENT_BIT_IMAGE = "cr.fluentbit.io/fluent/fluent-bit";
/**
 * The node's directory where Fluent Bit keeps each file's read offset and the chunks read but not yet
 * delivered: a restart resumes where it stopped and sends what it held (a line may go twice, none is lost).
 */
const STATE_DIR = "/var/fluent-bit/state";

/** The groups' `purpose` tag: the cost estimate prices their ingestion by the traffic (prices-sa-east-1.json). */
export const CONTAINER_LOGS_PURPOSE = "container-logs";

/** The two log groups, by what they hold. */
export function containerLogGroupNames(namePrefix: string) {
  return {
    application: `/healthflow/${namePrefix}/containers/${APP_NAMESPACE}`,
    ingress: `/healthflow/${namePrefix}/ingress/access`,
  };
}

/**
 * The files kubelet links for each container: /var/log/containers/<pod>_<namespace>_<container>-<id>.log
 * (kubelet, pkg/kubelet/kuberuntime/kuberuntime_container.go, BuildContainerLogsDirectory/logSymlink).
 * The app namespace's every container; in the controller's namespace only the controller's pods' main
 * container, not its init container (`init-nginx-ingress`).
 */
export const LOG_PATHS = {
  application: `/var/log/containers/*_${APP_NAMESPACE}_*.log`,
  ingress: `/var/log/containers/${CONTROLLER_SERVICE}-*_${INGRESS_NAMESPACE}_${INGRESS_NAMESPACE}-*.log`,
} as const;

/** One `[SECTION]` of Fluent Bit's classic configuration: a key per line, indented. */
function section(name: string, entries: [string, string | number][]): string {
  return [`[${name}]`, ...entries.map(([key, value]) => `    ${key} ${value}`)].join("\n");
}

function tail(alias: keyof typeof LOG_PATHS): string {
  return section("INPUT", [
    ["Name", "tail"],
    ["Alias", alias],
    ["Tag", `${alias}.*`],
    ["Path", LOG_PATHS[alias]],
    // containerd writes CRI lines: <time> <stream> <P|F> <message>, a long line split into P parts.
    ["multiline.parser", "cri"],
    ["DB", `${STATE_DIR}/${alias}.db`],
    ["DB.locking", "true"],
    // A new file from its first line; a known one from where the DB says it stopped.
    ["Read_from_Head", "true"],
    // The DB moves a file's offset when a line is read, not when CloudWatch has it (in_tail,
    // tail_file.c): what is read waits in chunks on the node's disk, not in memory, so a restart, an
    // OOM kill or a CloudWatch outage loses nothing read.
    ["storage.type", "filesystem"],
    ["Skip_Long_Lines", "On"],
    ["Refresh_Interval", 10],
  ]);
}

/**
 * The chart's own `[SERVICE]` (values.yaml `config.service`: HTTP server on 2020 with the health check
 * the probes read), plus the on-disk buffer: 32 chunks (about 64 MB) in memory at most, the rest on disk.
 */
const SERVICE = section("SERVICE", [
  ["Daemon", "Off"],
  ["Flush", 1],
  ["Log_Level", "info"],
  ["Parsers_File", "/fluent-bit/etc/parsers.conf"],
  ["Parsers_File", "/fluent-bit/etc/conf/custom_parsers.conf"],
  ["HTTP_Server", "On"],
  ["HTTP_Listen", "0.0.0.0"],
  ["HTTP_Port", 2020],
  ["Health_Check", "On"],
  ["storage.path", `${STATE_DIR}/buffer`],
  ["storage.sync", "normal"],
  ["storage.max_chunks_up", 32],
  ["storage.backlog.mem_limit", "16M"],
]);

function cloudWatch(alias: keyof typeof LOG_PATHS, groupName: string, region: string): string {
  return section("OUTPUT", [
    ["Name", "cloudwatch_logs"],
    // The `name` label of its metrics (fluentbit_output_*), which the LogShippingStalled alert reads.
    ["Alias", `${alias}-cloudwatch`],
    ["Match", `${alias}.*`],
    ["region", region],
    ["log_group_name", groupName],
    // One stream a node and file: the tag is the file's path.
    ["log_stream_prefix", "${HOST_NAME}-"],
    // The container's own line, not the CRI record around it: the access log stays one JSON object.
    ["log_key", "log"],
    // The group is ours (KMS key, retention): a missing one is an error, never a new unencrypted group.
    ["auto_create_group", "Off"],
    // Never give up on a chunk (an outage, missing credentials): it waits on disk, within this bound
    // of the node's root volume, and the LogShippingStalled alert says shipping has stopped.
    ["Retry_Limit", "no_limits"],
    ["storage.total_limit_size", "2G"],
  ]);
}

/** Fluent Bit's pipeline: the chart's `config.service`, `inputs`, `filters` and `outputs`. */
export function fluentBitConfig(groups: { application: string; ingress: string }, region: string) {
  return {
    service: SERVICE,
    inputs: [tail("application"), tail("ingress")].join("\n"),
    // The controller writes its access log to stdout and nginx's error log and its own to stderr
    // (F5 NGINX Ingress Controller, internal/configs/version1/nginx.tmpl: `access_log /dev/stdout
    // main;`, `error_log stderr`): an error line quotes the request line, query string included,
    // so only stdout, the JSON access log, is shipped.
    filters: section("FILTER", [
      ["Name", "grep"],
      ["Match", "ingress.*"],
      ["Regex", "stream ^stdout$"],
    ]),
    outputs: [
      cloudWatch("application", groups.application, region),
      cloudWatch("ingress", groups.ingress, region),
    ].join("\n"),
  };
}

/**
 * What Fluent Bit may do in AWS: create streams in the two groups and put events in them, nothing else.
 * Its cloudwatch_logs output calls CreateLogGroup only with auto_create_group, PutRetentionPolicy only
 * with log_retention_days, and otherwise CreateLogStream and PutLogEvents (fluent-bit v5.1.1,
 * plugins/out_cloudwatch_logs/cloudwatch_api.c).
 */
export function shippingPolicy(groupArns: string[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: groupArns.map((arn) => `${arn}:*`),
      },
    ],
  });
}

/** The chart's values: the pipeline, least privilege, read-only host logs, bounded resources. */
export function fluentBitValues(
  logs: NonNullable<Settings["audit"]>["containerLogs"],
  groups: { application: string; ingress: string },
  region: string,
) {
  return {
    kind: "DaemonSet",
    image: { repository: FLUENT_BIT_IMAGE, tag: logs.imageTag },
    // Its `helm test` Pod (templates/tests/test-connection.yaml) is a hook: never run by Chart v4.
    testFramework: { enabled: false },
    // No Kubernetes API rights: no kubernetes filter, the file name says pod, namespace and container,
    // so no ClusterRole is bound (the token the chart's default mounts grants nothing).
    serviceAccount: { create: true, name: FLUENT_BIT_RELEASE },
    rbac: { create: false },
    priorityClassName: "system-node-critical",
    // Every node, whatever its taints: a pod whose node runs no shipper has no logs in CloudWatch.
    tolerations: [{ operator: "Exists" }],
    podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
    // Root, to read the files containerd writes as root with mode 0640 (containerd,
    // internal/cri/server/helpers_linux.go, openLogFile), but with no capability: the owner's read
    // bit is all it uses, and it writes only its offsets under /var/fluent-bit/state.
    securityContext: {
      runAsUser: 0,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "400m", memory: "256Mi" } },
    env: [{ name: "HOST_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
    daemonSetVolumes: [
      { name: "varlog", hostPath: { path: "/var/log", type: "Directory" } },
      { name: "state", hostPath: { path: STATE_DIR, type: "DirectoryOrCreate" } },
    ],
    daemonSetVolumeMounts: [
      { name: "varlog", mountPath: "/var/log", readOnly: true },
      { name: "state", mountPath: STATE_DIR },
    ],
    config: fluentBitConfig(groups, region),
  };
}

export interface ContainerLogsArgs {
  logs: NonNullable<Settings["audit"]>["containerLogs"];
  namePrefix: string;
  region: string;
  clusterName: pulumi.Input<string>;
  awsProvider: aws.Provider;
  k8sProvider: k8s.Provider;
  /** Production: `protect` on the key and the groups. */
  protect?: boolean;
}

export class ContainerLogs extends pulumi.ComponentResource {
  readonly groups: aws.cloudwatch.LogGroup[];
  readonly chart: k8s.helm.v4.Chart;

  constructor(name: string, args: ContainerLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:audit:ContainerLogs", name, {}, opts);
    const withAws = { parent: this, provider: args.awsProvider };
    const names = containerLogGroupNames(args.namePrefix);
    const { groups } = encryptedLogGroups("containers", {
      description: `${args.namePrefix} container`,
      groups: names,
      retentionDays: args.logs.retentionDays,
      region: args.region,
      provider: args.awsProvider,
      parent: this,
      protect: args.protect,
      tags: { purpose: CONTAINER_LOGS_PURPOSE },
    });
    this.groups = groups;
    const [application] = groups; // encryptedLogGroups keeps the order of `names`: application, ingress
    // The restore drill's figures (components/backups/job.ts), from its JSON line in the apps' group.
    for (const [metric, value] of Object.entries(DRILL_METRICS.values)) {
      new aws.cloudwatch.LogMetricFilter(
        `restore-drill-${metric.toLowerCase()}`,
        {
          name: `restore-drill-${metric.toLowerCase()}`,
          logGroupName: application.name,
          pattern: DRILL_METRICS.pattern,
          metricTransformation: { name: metric, namespace: DRILL_METRICS.namespace, value },
        },
        withAws,
      );
    }

    const account = accountId(args.awsProvider);
    const role = podIdentityRole("fluent-bit", args.awsProvider, this);
    const policy = new aws.iam.RolePolicy(
      "fluent-bit-policy",
      {
        role: role.id,
        policy: account.apply((acct) =>
          shippingPolicy(
            Object.values(names).map((group) => `arn:aws:logs:${args.region}:${acct}:log-group:${group}`),
          ),
        ),
      },
      withAws,
    );
    // Fluent Bit's AWS credentials read what Pod Identity injects (AWS_CONTAINER_CREDENTIALS_FULL_URI,
    // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, the agent at 169.254.170.23: src/aws/flb_aws_credentials_http.c,
    // in every 4.x release; the settings refuse an older imageTag). A pod created in the seconds before
    // a new association takes effect gets no credentials (EKS API reference, CreatePodIdentityAssociation)
    // and retries for ever: LogShippingStalled fires, and a restart of the DaemonSet cures it.
    const association = new aws.eks.PodIdentityAssociation(
      "fluent-bit",
      {
        clusterName: args.clusterName,
        namespace: LOGGING_NAMESPACE,
        serviceAccount: FLUENT_BIT_RELEASE,
        roleArn: role.arn,
      },
      withAws,
    );

    const k8sChild = { parent: this, provider: args.k8sProvider };
    // Host paths need Pod Security `privileged` (baseline forbids them); audit and warn stay restricted.
    const namespace = podSecurityNamespace(LOGGING_NAMESPACE, "privileged", k8sChild);
    this.chart = new k8s.helm.v4.Chart(
      FLUENT_BIT_RELEASE,
      {
        chart: "fluent-bit",
        version: args.logs.chartVersion,
        repositoryOpts: { repo: FLUENT_BIT_CHART_REPO },
        namespace: LOGGING_NAMESPACE,
        values: fluentBitValues(args.logs, names, args.region),
      },
      // Pod Identity injects credentials when a pod starts, and the groups must exist before the
      // first line is sent (auto_create_group is off).
      { ...k8sChild, dependsOn: [namespace, association, policy, ...groups] },
    );
    this.registerOutputs({});
  }
}

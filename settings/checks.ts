import { alertingProblems } from "./alerting";
import { capacityProblem } from "./catalog/capacity";
import { INSTANCE_TYPES } from "./catalog/instances";
import { edgeSettingsProblems } from "./edge";
import { workloadSettingsProblems } from "./workloads";
import { cpuCores, imageProblem, memoryBytes } from "./formats";
import type { ConfigProblem, StackConfig } from "./schema";

// The checks that relate several values of a stack's config; run only on config whose shape
// already parsed (schema.ts), so every problem of a stack file is reported at once.

const CLOUD_SECTIONS = [
  "aws",
  "network",
  "cluster",
  "database",
  "cache",
  "storage",
  "runners",
  "audit",
] as const;

/** Checks that relate several values; run only on config whose shape already parsed. */
export function crossFieldProblems(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const cloud = config.environment !== "dev";
  const needs = (present: boolean, key: string, why: string) => {
    if (!present) problems.push({ path: [key], value: undefined, message: `is required ${why}` });
  };
  for (const section of CLOUD_SECTIONS) {
    needs(!cloud || config[section] !== undefined, section, `for environment "${config.environment}" (AWS)`);
  }
  needs(cloud || config.local !== undefined, "local", `for environment "dev" (the local Docker stack)`);
  if (cloud) {
    for (const key of ["objectLock", "tiering", "images", "scratchGiB", "drill"] as const) {
      if (config.backups[key] === undefined) {
        problems.push({
          path: ["backups", key],
          value: undefined,
          message: `is required for environment "${config.environment}" (the S3 backups)`,
        });
      }
    }
  }
  if (config.audit && config.audit.retentionDays < config.backups.retentionDays) {
    problems.push({
      path: ["audit", "retentionDays"],
      value: config.audit.retentionDays,
      message: `must be at least backups.retentionDays (${config.backups.retentionDays}): the record of who read a backup must last as long as the backup`,
    });
  }
  // The RestoreDrillMissing alert expects a success within 8 days: a schedule whose day of month and
  // month are `*` runs at least once a week, whatever its day of week.
  const drillSchedule = config.backups.drill?.schedule;
  if (drillSchedule !== undefined) {
    const [, , dayOfMonth, month] = drillSchedule.trim().split(/\s+/);
    if (dayOfMonth !== "*" || month !== "*") {
      problems.push({
        path: ["backups", "drill", "schedule"],
        value: drillSchedule,
        message:
          "must run at least once a week (day of month and month `*`): the RestoreDrillMissing alert expects a successful drill within 8 days",
      });
    }
  }
  // Lei 12.965/2014 (Marco Civil da Internet), art. 15: an application provider keeps its access logs
  // for six months. The ingress controller's access log is shipped to this retention.
  const accessLogDays = config.audit?.containerLogs.retentionDays;
  if (config.environment === "production" && accessLogDays !== undefined && accessLogDays < 180) {
    problems.push({
      path: ["audit", "containerLogs", "retentionDays"],
      value: accessLogDays,
      message:
        "must be 180 or more in production: the Marco Civil da Internet (Lei 12.965/2014, art. 15) requires an application's access logs for six months",
    });
  }
  if (config.environment === "production" && config.audit && config.audit.lockMode !== "COMPLIANCE") {
    problems.push({
      path: ["audit", "lockMode"],
      value: config.audit.lockMode,
      message: `must be "COMPLIANCE" in production: under GOVERNANCE an administrator can shorten the lock and delete the audit trail`,
    });
  }
  const { objectLock, tiering, retentionDays } = config.backups;
  if (objectLock && objectLock.days > retentionDays) {
    problems.push({
      path: ["backups", "objectLock", "days"],
      value: objectLock.days,
      message: `must be <= backups.retentionDays (${retentionDays}): a locked backup cannot expire`,
    });
  }
  // S3 refuses a lifecycle rule that moves objects on from Standard-IA before 30 days there.
  if (
    tiering &&
    !(
      tiering.infrequentAccessAfterDays + 30 <= tiering.archiveAfterDays &&
      tiering.archiveAfterDays + 90 <= retentionDays
    )
  ) {
    problems.push({
      path: ["backups", "tiering"],
      value: tiering,
      message: `must satisfy infrequentAccessAfterDays + 30 <= archiveAfterDays <= retentionDays - 90 (${retentionDays - 90}): S3 keeps objects 30 days in Standard-IA before moving them on, and Glacier Instant Retrieval bills 90 days at least`,
    });
  }
  if (cloud) {
    for (const key of ["chartVersion", "prometheusResources", "alarms", "replicas"] as const) {
      if (config.monitoring[key] === undefined) {
        problems.push({
          path: ["monitoring", key],
          value: undefined,
          message: `is required for environment "${config.environment}" (Prometheus and the CloudWatch alarms)`,
        });
      }
    }
  }
  const prometheusResources = config.monitoring.prometheusResources;
  if (prometheusResources) {
    const { requests, limits } = prometheusResources;
    if (
      cpuCores(limits.cpu) < cpuCores(requests.cpu) ||
      memoryBytes(limits.memory) < memoryBytes(requests.memory)
    ) {
      problems.push({
        path: ["monitoring", "prometheusResources", "limits"],
        value: limits,
        message: `must be >= requests (${requests.cpu} CPU, ${requests.memory})`,
      });
    }
  }
  for (const key of ["postgres", "awsCli"] as const) {
    const ref = config.backups.images?.[key];
    const issue = ref === undefined ? null : imageProblem(ref, cloud);
    if (ref !== undefined && issue)
      problems.push({ path: ["backups", "images", key], value: ref, message: issue });
  }

  for (const [name, app] of Object.entries(config.apps)) {
    const at = (...rest: (string | number)[]) => ["apps", name, ...rest];
    const imageIssue = imageProblem(app.image, cloud);
    if (imageIssue) problems.push({ path: at("image"), value: app.image, message: imageIssue });
    const { minReplicas, maxReplicas } = app.autoscaling;
    if (minReplicas > maxReplicas) {
      problems.push({
        path: at("autoscaling", "minReplicas"),
        value: minReplicas,
        message: `must be <= autoscaling.maxReplicas (${maxReplicas})`,
      });
    }
    const { requests, limits } = app.resources;
    if (cpuCores(limits.cpu) < cpuCores(requests.cpu)) {
      problems.push({
        path: at("resources", "limits", "cpu"),
        value: limits.cpu,
        message: `must be >= requests.cpu (${requests.cpu})`,
      });
    }
    if (memoryBytes(limits.memory) < memoryBytes(requests.memory)) {
      problems.push({
        path: at("resources", "limits", "memory"),
        value: limits.memory,
        message: `must be >= requests.memory (${requests.memory})`,
      });
    }
    if (name !== "worker" && app.port === undefined) {
      problems.push({
        path: at("port"),
        value: undefined,
        message: "is required: the web and api apps listen on a port",
      });
    }
  }

  for (const host of ["appHost", "apiHost"] as const) {
    const value = config.dns[host];
    const zone = config.dns.zone;
    if (value !== zone && !value.endsWith(`.${zone}`)) {
      problems.push({ path: ["dns", host], value, message: `must be inside the zone ${zone}` });
    } else if (cloud && value.split(".").length - zone.split(".").length > 1) {
      problems.push({
        path: ["dns", host],
        value,
        message: `must be one label below ${zone}: Cloudflare's Universal SSL covers *.${zone} only`,
      });
    }
  }
  problems.push(...edgeSettingsProblems(config));
  problems.push(...alertingProblems(config));
  problems.push(...workloadSettingsProblems(config));

  const prefix = Number(config.network?.cidr.split("/")[1]);
  if (config.network && (prefix < 16 || prefix > 20)) {
    problems.push({
      path: ["network", "cidr"],
      value: config.network.cidr,
      message: "must be a /16 to /20 block (the subnet layout needs room)",
    });
  }
  config.cluster?.nodeGroups.forEach((group, i) => {
    group.instanceTypes.forEach((type, j) => {
      const size = INSTANCE_TYPES[type];
      if (!size) {
        problems.push({
          path: ["cluster", "nodeGroups", i, "instanceTypes", j],
          value: type,
          message: `is not in the capacity table (settings/catalog/instances.ts); known: ${Object.keys(INSTANCE_TYPES).join(", ")}`,
        });
      } else if (size.architecture !== group.architecture) {
        problems.push({
          path: ["cluster", "nodeGroups", i, "instanceTypes", j],
          value: type,
          message: `is ${size.architecture}, but the group's architecture is ${group.architecture}`,
        });
      }
    });
    if (!(group.minSize <= group.desiredSize && group.desiredSize <= group.maxSize)) {
      problems.push({
        path: ["cluster", "nodeGroups", i, "desiredSize"],
        value: group.desiredSize,
        message: `must satisfy minSize (${group.minSize}) <= desiredSize <= maxSize (${group.maxSize})`,
      });
    }
  });
  // The cloud sections come together (CLOUD_SECTIONS).
  if (config.cluster && config.network) {
    const problem = capacityProblem(
      config.apps,
      config.cluster.nodeGroups.filter((g) => g.instanceTypes.every((t) => INSTANCE_TYPES[t])),
      config.cluster.headroomPercent,
      config.network.availabilityZones,
    );
    if (problem)
      problems.push({
        path: ["cluster", "nodeGroups"],
        value: config.cluster.nodeGroups.map((g) => `${g.maxSize} x ${g.instanceTypes.join("|")} per zone`),
        message: problem,
      });
  }
  // The nodes and the autoscaler follow the control plane's minor (Kubernetes version skew policy:
  // a kubelet is never newer than the API server; EKS upgrades the control plane one minor at a time,
  // after its nodes are on its minor). docs/upgrades.md says in which order to change them.
  const minor = config.cluster?.kubernetesVersion;
  config.cluster?.nodeGroups.forEach((group, i) => {
    if (!group.releaseVersion.startsWith(`${minor}.`)) {
      problems.push({
        path: ["cluster", "nodeGroups", i, "releaseVersion"],
        value: group.releaseVersion,
        message: `must be a release for Kubernetes ${minor}, the cluster's version: the nodes follow the control plane`,
      });
    }
  });
  const autoscalerTag = config.cluster?.autoscaler.imageTag;
  if (autoscalerTag && !autoscalerTag.startsWith(`v${minor}.`)) {
    problems.push({
      path: ["cluster", "autoscaler", "imageTag"],
      value: autoscalerTag,
      message: `must be a v${minor}.x release: the Cluster Autoscaler's minor is the cluster's`,
    });
  }
  const kubeProxy = config.cluster?.addons.kubeProxy;
  if (kubeProxy && !kubeProxy.startsWith(`v${config.cluster?.kubernetesVersion}.`)) {
    problems.push({
      path: ["cluster", "addons", "kubeProxy"],
      value: kubeProxy,
      message: `must be a v${config.cluster?.kubernetesVersion}.x build: EKS offers kube-proxy only at the cluster's own minor version`,
    });
  }
  const db = config.database;
  const dumpImage = config.backups.images?.postgres;
  const dumpMajor = dumpImage ? /^[^@]*:(\d+)(\.|-|$)/.exec(dumpImage)?.[1] : undefined;
  if (db && dumpMajor && dumpMajor !== db.engineVersion) {
    problems.push({
      path: ["backups", "images", "postgres"],
      value: dumpImage,
      message: `must carry PostgreSQL ${db.engineVersion}'s pg_dump (database.engineVersion): pg_dump cannot dump a newer server, and restores go to the same major`,
    });
  }
  if (db && db.maxAllocatedStorageGiB < db.allocatedStorageGiB) {
    problems.push({
      path: ["database", "maxAllocatedStorageGiB"],
      value: db.maxAllocatedStorageGiB,
      message: `must be >= allocatedStorageGiB (${db.allocatedStorageGiB}) for storage autoscaling`,
    });
  }
  const cache = config.cache;
  if (cache?.automaticFailover && cache.nodes < 2) {
    problems.push({
      path: ["cache", "nodes"],
      value: cache.nodes,
      message: "must be >= 2 when automaticFailover is on",
    });
  }
  if (config.environment === "production") {
    if (db && !db.multiAz) {
      problems.push({ path: ["database", "multiAz"], value: false, message: "must be true in production" });
    }
    if (db && db.backupRetentionDays < 35) {
      problems.push({
        path: ["database", "backupRetentionDays"],
        value: db.backupRetentionDays,
        message: "must be 35 in production (the longest RDS keeps automated backups)",
      });
    }
    if (objectLock && objectLock.mode !== "COMPLIANCE") {
      problems.push({
        path: ["backups", "objectLock", "mode"],
        value: objectLock.mode,
        message: `must be "COMPLIANCE" in production: not even an administrator may delete a backup early`,
      });
    }
    if (cache && !cache.automaticFailover) {
      problems.push({
        path: ["cache", "automaticFailover"],
        value: false,
        message: "must be true in production",
      });
    }
  }
  return problems;
}

/**
 * What a stack costs a month, estimated from the resources it declares: on-demand prices of sa-east-1 in USD
 * (prices-sa-east-1.json, each with its source) times what each resource provisions, at the stack's minimum
 * scale and at its maximum (node groups at maxSize, databases at their storage ceiling). Usage nobody declares
 * (NAT and load-balancer traffic, log volume, bytes in S3) comes from the stated assumptions in the same file.
 * Infracost does not read Pulumi programs; this reads the same resources the policies judge.
 */
import { tryKnown } from "../../../lib/known";
import pricing from "./prices-sa-east-1.json";

export interface CostResource {
  type: string;
  /** Properties as a policy sees them: plain values, unknown ones throwing when read (the analyzer's proxy). */
  props: Record<string, unknown>;
}

export interface CostItem {
  /** What is paid for, e.g. "EKS nodes: 4-10 x m7g.xlarge". */
  name: string;
  /** USD a month at the minimum scale. */
  min: number;
  /** USD a month at the maximum scale. */
  max: number;
}

export interface CostEstimate {
  items: CostItem[];
  min: number;
  max: number;
  /** What could not be priced (a value unknown until deployment, a type with no price on file). */
  unpriced: string[];
}

export type Assumptions = { [K in keyof typeof pricing.assumptions]: number };

export const DEFAULT_ASSUMPTIONS: Assumptions = Object.fromEntries(
  Object.entries(pricing.assumptions).map(([key, assumption]) => [key, assumption.value]),
) as Assumptions;

export const HOURS_PER_MONTH = pricing.hoursPerMonth;
export const PRICES_COMPILED = pricing.compiled;

const prices = pricing.prices as Record<string, { price: number; unit: string; source: string }>;

/** The price on file under `key`, or undefined (the caller reports the item as unpriced). */
export function price(key: string): number | undefined {
  return prices[key]?.price;
}

const GIB_PER_GB = 1; // AWS bills storage per GB-month of what is provisioned; sizes here are GiB, counted 1:1.

/** "100Gi" / "200Gi" / "1Ti" → GiB. */
function gib(quantity: unknown): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(Gi|Ti|G|T)?$/.exec(String(quantity ?? ""));
  if (!match) return undefined;
  const n = Number(match[1]);
  return match[2]?.startsWith("T") ? n * 1024 : n;
}

class Estimator {
  readonly items: CostItem[] = [];
  readonly unpriced: string[] = [];

  constructor(readonly assumptions: Assumptions) {}

  /** Reads a value; one that is unknown until deployment leaves `what` unpriced. */
  read<T>(what: string, get: () => T): T | undefined {
    const value = tryKnown(get);
    if (!value.known) this.unpriced.push(`${what} (unknown until deployment)`);
    return value.known ? value.value : undefined;
  }

  /** Adds an item priced per unit: `key`'s price × units (min and max). */
  add(name: string, key: string, units: { min: number; max: number }, perMonth = 1): void {
    const unitPrice = price(key);
    if (unitPrice === undefined) {
      this.unpriced.push(`${name} (no price for ${key} in prices-sa-east-1.json)`);
      return;
    }
    this.items.push({ name, min: unitPrice * units.min * perMonth, max: unitPrice * units.max * perMonth });
  }
}

const hourly = HOURS_PER_MONTH;
const both = (n: number) => ({ min: n, max: n });

function eks(e: Estimator, resources: CostResource[]) {
  const clusters = resources.filter((r) => r.type === "aws:eks/cluster:Cluster").length;
  if (clusters)
    e.add(
      `EKS control plane${clusters > 1 ? ` x ${clusters}` : ""}`,
      "eks.cluster.hour",
      both(clusters),
      hourly,
    );

  const groups = resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
  const templates = resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
  for (const group of groups) {
    const scaling = e.read(
      "node group size",
      () => group.props["scalingConfig"] as { minSize: number; maxSize: number },
    );
    const types = e.read("node instance types", () => group.props["instanceTypes"] as string[]);
    if (!scaling || !types?.length) continue;
    // With several types EC2 may hand out any of them: the first is what the group asks for first.
    e.add(
      `EKS nodes: ${scaling.minSize}-${scaling.maxSize} x ${types[0]}`,
      `ec2.${types[0]}.hour`,
      {
        min: scaling.minSize,
        max: scaling.maxSize,
      },
      hourly,
    );
    // The group's root volumes: its launch template's (one template per group), else EKS' 20 GiB default.
    const disk =
      groups.length === templates.length
        ? e.read("node root volume size", () => {
            const mappings = templates[groups.indexOf(group)].props["blockDeviceMappings"] as {
              ebs?: { volumeSize?: number };
            }[];
            return mappings?.[0]?.ebs?.volumeSize;
          })
        : undefined;
    const size = disk ?? 20;
    e.add(`Node root volumes: ${size} GiB gp3 each`, "ebs.gp3.gb-month", {
      min: scaling.minSize * size * GIB_PER_GB,
      max: scaling.maxSize * size * GIB_PER_GB,
    });
  }
}

function network(e: Estimator, resources: CostResource[]) {
  const nats = resources.filter((r) => r.type === "aws:ec2/natGateway:NatGateway").length;
  if (nats) {
    e.add(`NAT gateways x ${nats}`, "natgateway.hour", both(nats), hourly);
    e.add(
      `NAT data processed (assumed ${e.assumptions.natGatewayProcessedGbPerMonth} GB/month each)`,
      "natgateway.gb",
      both(nats * e.assumptions.natGatewayProcessedGbPerMonth),
    );
  }
  const eips = resources.filter((r) => r.type === "aws:ec2/eip:Eip").length;
  if (eips) e.add(`Public IPv4 addresses x ${eips} (NAT)`, "publicipv4.hour", both(eips), hourly);

  // The ingress NLB is made by the cluster (a LoadBalancer Service of the controller's chart), not by Pulumi.
  const balancers = resources.filter(
    (r) =>
      r.type === "kubernetes:helm.sh/v4:Chart" &&
      e.read("ingress service type", () => {
        const values = r.props["values"] as { controller?: { service?: { type?: string } } } | undefined;
        return values?.controller?.service?.type;
      }) === "LoadBalancer",
  ).length;
  if (balancers) {
    const zones = new Set(
      resources
        .filter((r) => r.type === "aws:ec2/subnet:Subnet")
        .map((r) => e.read("subnet zone", () => r.props["availabilityZone"] as string)),
    ).size;
    e.add(`Ingress NLB x ${balancers}`, "nlb.hour", both(balancers), hourly);
    e.add(
      `NLB capacity (assumed ${e.assumptions.loadBalancerCapacityUnits} NLCU)`,
      "nlb.lcu.hour",
      both(balancers * e.assumptions.loadBalancerCapacityUnits),
      hourly,
    );
    e.add(
      `NLB public IPv4 x ${balancers * zones} (one per zone)`,
      "publicipv4.hour",
      both(balancers * zones),
      hourly,
    );
  }
}

function databases(e: Estimator, resources: CostResource[]) {
  const instances = resources.filter((r) => r.type === "aws:rds/instance:Instance");
  // A read replica that names no storage gets its source's (RDS creates it from a snapshot of it).
  const sourceStorage = Math.max(
    0,
    ...instances
      .filter((r) => !("replicateSourceDb" in r.props))
      .map((r) => e.read("database storage", () => Number(r.props["allocatedStorage"] ?? 0)) ?? 0),
  );
  for (const db of instances) {
    const id = e.read("database identifier", () => String(db.props["identifier"] ?? "postgres"));
    const instanceClass = e.read("database class", () => db.props["instanceClass"] as string);
    const multiAz = e.read("database Multi-AZ", () => db.props["multiAz"] === true) ?? false;
    const replica = "replicateSourceDb" in db.props;
    const storage =
      e.read("database storage", () => Number(db.props["allocatedStorage"] ?? 0)) ||
      (replica ? sourceStorage : 0);
    const ceiling = e.read("database storage ceiling", () => Number(db.props["maxAllocatedStorage"] ?? 0));
    if (!instanceClass) continue;
    const az = multiAz ? ".multiaz" : "";
    e.add(
      `RDS ${id}: ${instanceClass}${multiAz ? ", Multi-AZ" : ""}${replica ? " (read replica)" : ""}`,
      `rds.postgres.${instanceClass}${az}.hour`,
      both(1),
      hourly,
    );
    if (storage) {
      e.add(
        `RDS ${id} storage: gp3 ${storage}${ceiling && ceiling > storage ? `-${ceiling}` : ""} GB`,
        `rds.gp3${az}.gb-month`,
        {
          min: storage,
          max: Math.max(storage, ceiling ?? 0),
        },
      );
    }
  }
  for (const cache of resources.filter(
    (r) => r.type === "aws:elasticache/replicationGroup:ReplicationGroup",
  )) {
    const nodeType = e.read("cache node type", () => cache.props["nodeType"] as string);
    const engine = e.read("cache engine", () => String(cache.props["engine"] ?? "redis")) ?? "redis";
    const nodes = e.read("cache nodes", () => Number(cache.props["numCacheClusters"] ?? 1)) ?? 1;
    if (!nodeType) continue;
    e.add(
      `ElastiCache ${engine}: ${nodes} x ${nodeType}`,
      `elasticache.${engine}.${nodeType}.hour`,
      both(nodes),
      hourly,
    );
  }
}

function volumes(e: Estimator, resources: CostResource[]) {
  // Prometheus' and Alertmanager's volumes, as kube-prometheus-stack's values ask the operator for them.
  for (const chart of resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart")) {
    const values = e.read(
      "chart values",
      () => chart.props["values"] as Record<string, Record<string, unknown>>,
    );
    for (const [component, specKey] of [
      ["prometheus", "prometheusSpec"],
      ["alertmanager", "alertmanagerSpec"],
    ] as const) {
      const spec = values?.[component]?.[specKey] as
        | {
            replicas?: number;
            storageSpec?: {
              volumeClaimTemplate?: { spec?: { resources?: { requests?: { storage?: string } } } };
            };
          }
        | undefined;
      const size = gib(spec?.storageSpec?.volumeClaimTemplate?.spec?.resources?.requests?.storage);
      if (!size) continue;
      const replicas = spec?.replicas ?? 1;
      e.add(`${component} volumes: ${replicas} x ${size} GiB gp3`, "ebs.gp3.gb-month", both(replicas * size));
    }
  }
  // A CronJob's ephemeral scratch volume exists only while the job runs.
  for (const job of resources.filter((r) => r.type === "kubernetes:batch/v1:CronJob")) {
    const list = e.read("job volumes", () => {
      const spec = job.props["spec"] as {
        jobTemplate?: { spec?: { template?: { spec?: { volumes?: unknown[] } } } };
      };
      return spec?.jobTemplate?.spec?.template?.spec?.volumes as
        | {
            ephemeral?: {
              volumeClaimTemplate?: { spec?: { resources?: { requests?: { storage?: string } } } };
            };
          }[]
        | undefined;
    });
    for (const volume of list ?? []) {
      const size = gib(volume.ephemeral?.volumeClaimTemplate?.spec?.resources?.requests?.storage);
      if (!size) continue;
      const share = e.assumptions.backupJobHoursPerDay / 24;
      e.add(
        `Backup scratch volume: ${size} GiB gp3, ${e.assumptions.backupJobHoursPerDay} h a day`,
        "ebs.gp3.gb-month",
        both(size * share),
      );
    }
  }
}

interface LifecycleRule {
  transitions?: { days?: number; storageClass?: string }[];
  expiration?: { days?: number };
}

function storage(e: Estimator, resources: CostResource[]) {
  const lifecycles = resources.filter(
    (r) => r.type === "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  );
  const tiered = lifecycles
    .map((r) => e.read("bucket lifecycle", () => r.props["rules"] as LifecycleRule[]) ?? [])
    .flat()
    .find((rule) => rule.transitions?.length && rule.expiration?.days);
  const buckets = resources.filter((r) => r.type === "aws:s3/bucket:Bucket").length;
  const plainBuckets = buckets - (tiered ? 1 : 0);
  if (plainBuckets > 0) {
    e.add(
      `S3 uploads (assumed ${e.assumptions.uploadsGb} GB Standard)`,
      "s3.standard.gb-month",
      both(plainBuckets * e.assumptions.uploadsGb),
    );
  }
  if (!tiered) return;
  // One dump a day, kept through the tiers: at any time `days in tier` dumps sit in each.
  const primary = resources.find(
    (r) => r.type === "aws:rds/instance:Instance" && !("replicateSourceDb" in r.props),
  );
  const dbGb = primary
    ? (e.read("database storage", () => Number(primary.props["allocatedStorage"] ?? 0)) ?? 0)
    : 0;
  const dbMaxGb = primary
    ? Math.max(
        dbGb,
        e.read("database storage ceiling", () => Number(primary.props["maxAllocatedStorage"] ?? 0)) ?? 0,
      )
    : 0;
  const day = (storageClass: string) =>
    tiered.transitions?.find((t) => t.storageClass === storageClass)?.days;
  const expiry = tiered.expiration?.days ?? 0;
  const ia = day("STANDARD_IA") ?? expiry;
  const archive = day("GLACIER_IR") ?? expiry;
  const fraction = e.assumptions.backupDumpFractionOfDatabase;
  const tiers: [string, string, number][] = [
    ["Standard", "s3.standard.gb-month", Math.min(ia, archive)],
    ["Standard-IA", "s3.standard-ia.gb-month", Math.max(0, archive - ia)],
    ["Glacier Instant Retrieval", "s3.glacier-ir.gb-month", Math.max(0, expiry - archive)],
  ];
  for (const [tier, key, days] of tiers) {
    if (!days) continue;
    e.add(`S3 backups, ${tier}: ${days} daily dumps of ${fraction * 100}% of the database`, key, {
      min: days * dbGb * fraction,
      max: days * dbMaxGb * fraction,
    });
  }
}

function operations(e: Estimator, resources: CostResource[]) {
  const groups = resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup");
  if (groups.length) {
    // The shipped container logs (tagged so by components/audit/containerLogs.ts) grow with the
    // traffic; the services' own groups (EKS, RDS, flow logs, CI, the trail) by their own measure.
    const shipped = (group: CostResource) =>
      (group.props["tags"] as Record<string, string> | undefined)?.purpose === "container-logs";
    const ingestOf = (group: CostResource) =>
      shipped(group) ? e.assumptions.containerLogGbPerGroupMonth : e.assumptions.logIngestGbPerGroupMonth;
    const services = groups.filter((g) => !shipped(g)).length;
    if (services)
      e.add(
        `CloudWatch Logs ingestion: ${services} groups (assumed ${e.assumptions.logIngestGbPerGroupMonth} GB/month each)`,
        "cloudwatch.logs.ingest.gb",
        both(services * e.assumptions.logIngestGbPerGroupMonth),
      );
    const containers = groups.length - services;
    if (containers)
      e.add(
        `CloudWatch Logs ingestion, container logs: ${containers} groups (assumed ${e.assumptions.containerLogGbPerGroupMonth} GB/month each)`,
        "cloudwatch.logs.ingest.gb",
        both(containers * e.assumptions.containerLogGbPerGroupMonth),
      );
    // At steady state a group holds `retention` days of its ingestion.
    const storedGb = groups.reduce((sum, group) => {
      const days = e.read("log retention", () => Number(group.props["retentionInDays"] ?? 0)) ?? 0;
      return sum + ingestOf(group) * ((days || 3650) / 30);
    }, 0);
    e.add(
      "CloudWatch Logs storage (retention x ingestion)",
      "cloudwatch.logs.store.gb-month",
      both(storedGb),
    );
  }
  // A trail's management events are free (its first copy); its data events are paid by the event.
  const recordsData = (trail: CostResource) =>
    JSON.stringify(trail.props["advancedEventSelectors"] ?? []).includes('"Data"');
  const trails = resources.filter((r) => r.type === "aws:cloudtrail/trail:Trail" && recordsData(r)).length;
  if (trails) {
    const events = e.assumptions.trailDataEventsPerMonth;
    e.add(
      `CloudTrail data events (assumed ${events.toLocaleString("en-US")} a month)`,
      "cloudtrail.dataevents.100k",
      both((trails * events) / 100_000),
    );
  }
  // The CI runners are paid by the build minute of the machine they run on.
  for (const project of resources.filter((r) => r.type === "aws:codebuild/project:Project")) {
    const compute = e.read("CodeBuild compute type", () =>
      String((project.props["environment"] as { computeType?: string } | undefined)?.computeType),
    );
    if (compute === undefined) continue;
    const minutes = e.assumptions.runnerMinutesPerMonth;
    e.add(
      `CI runners: ${compute} (assumed ${minutes} build minutes/month)`,
      `codebuild.${compute}.minute`,
      both(minutes),
    );
  }
  const alarms = resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm").length;
  if (alarms) e.add(`CloudWatch alarms x ${alarms}`, "cloudwatch.alarm.month", both(alarms));
  const keys = resources.filter((r) => r.type === "aws:kms/key:Key").length;
  if (keys) e.add(`KMS customer keys x ${keys}`, "kms.key.month", both(keys));
}

/**
 * vCPUs of an EC2 or RDS instance type by its size, as AWS sizes its M, C and R families (medium 1, large 2,
 * xlarge 4, <n>xlarge 4n) and its burstable T family (t3 and later: 2 up to large; t2: 1 up to small, then
 * 2; both as the others from xlarge): the EC2 user guide's instance type specifications. Undefined for any
 * other family.
 */
export function instanceVcpus(type: string): number | undefined {
  const m = /^(?:db\.)?([a-z]+)(\d+)[a-z]*\.(nano|micro|small|medium|large|xlarge|(\d+)xlarge)$/.exec(type);
  if (!m) return undefined;
  const [, family, generation, size, n] = m;
  if (n) return 4 * Number(n);
  if (size === "xlarge") return 4;
  if (family === "t") return generation === "2" && ["nano", "micro", "small"].includes(size) ? 1 : 2;
  if (!["m", "c", "r"].includes(family)) return undefined;
  return ({ medium: 1, large: 2 } as Record<string, number | undefined>)[size];
}

/**
 * GuardDuty, by the protections the stack turns on (its DetectorFeatures) and what each analyses: the
 * account's management events, flow and DNS logs and the buckets' data events (assumed volumes), the
 * EKS audit log (assumed events), the nodes' vCPUs (runtime monitoring, at both scales), the database
 * instances' vCPUs (RDS login activity) and the EBS data its malware scans read (assumed).
 */
function threatDetection(e: Estimator, resources: CostResource[]) {
  const features = resources
    .filter((r) => r.type === "aws:guardduty/detectorFeature:DetectorFeature")
    .filter((f) => e.read("GuardDuty feature status", () => f.props["status"]) === "ENABLED")
    .map((f) => e.read("GuardDuty feature name", () => String(f.props["name"])));
  if (!features.length && !resources.some((r) => r.type === "aws:guardduty/detector:Detector")) return;
  const a = e.assumptions;
  const events = (n: number) => `${(n / 1_000_000).toLocaleString("en-US")} million`;
  e.add(
    `GuardDuty, CloudTrail management events (assumed ${events(a.managementEventsPerMonth)} a month)`,
    "guardduty.cloudtrail.management.1m",
    both(a.managementEventsPerMonth / 1_000_000),
  );
  e.add(
    `GuardDuty, VPC flow and DNS logs (assumed ${a.guardDutyFlowDnsGbPerMonth} GB a month)`,
    "guardduty.vpcflow-dns.gb",
    both(a.guardDutyFlowDnsGbPerMonth),
  );
  if (features.includes("EKS_AUDIT_LOGS"))
    e.add(
      `GuardDuty, EKS audit log (assumed ${events(a.eksAuditEventsPerMonth)} events a month)`,
      "guardduty.eks.auditlogs.1m",
      both(a.eksAuditEventsPerMonth / 1_000_000),
    );
  if (features.includes("S3_DATA_EVENTS"))
    e.add(
      `GuardDuty, S3 data events (assumed ${events(a.trailDataEventsPerMonth)} a month, the trail's)`,
      "guardduty.s3.dataevents.1m",
      both(a.trailDataEventsPerMonth / 1_000_000),
    );
  if (features.includes("RUNTIME_MONITORING")) {
    const vcpus = { min: 0, max: 0 };
    for (const group of resources.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup")) {
      const scaling = e.read(
        "node group size",
        () => group.props["scalingConfig"] as { minSize: number; maxSize: number },
      );
      const type = e.read("node instance types", () => (group.props["instanceTypes"] as string[])[0]);
      const each = type === undefined ? undefined : instanceVcpus(type);
      if (type !== undefined && each === undefined)
        e.unpriced.push(`GuardDuty runtime monitoring of ${type} nodes (vCPUs unknown)`);
      if (!scaling || each === undefined) continue;
      vcpus.min += scaling.minSize * each;
      vcpus.max += scaling.maxSize * each;
    }
    e.add(
      `GuardDuty runtime monitoring: ${vcpus.min}-${vcpus.max} node vCPUs`,
      "guardduty.runtime.eks.vcpu-month",
      vcpus,
    );
  }
  if (features.includes("RDS_LOGIN_EVENTS")) {
    const vcpus = resources
      .filter((r) => r.type === "aws:rds/instance:Instance")
      .map((db) => e.read("database instance class", () => String(db.props["instanceClass"])))
      .reduce((sum: number, type) => {
        const each = type === undefined ? undefined : instanceVcpus(type);
        if (type !== undefined && each === undefined)
          e.unpriced.push(`GuardDuty RDS login activity of ${type} (vCPUs unknown)`);
        return sum + (each ?? 0);
      }, 0);
    e.add(`GuardDuty RDS login activity: ${vcpus} database vCPUs`, "guardduty.rds.vcpu-month", both(vcpus));
  }
  if (features.includes("EBS_MALWARE_PROTECTION"))
    e.add(
      `GuardDuty malware scans (assumed ${a.guardDutyMalwareScanGbPerMonth} GB of EBS scanned a month)`,
      "guardduty.malware.ebs.gb",
      both(a.guardDutyMalwareScanGbPerMonth),
    );
}

/** The monthly estimate of these resources, items sorted from the most expensive (at maximum scale). */
export function estimateMonthlyCost(
  resources: CostResource[],
  assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
): CostEstimate {
  const e = new Estimator(assumptions);
  for (const part of [eks, network, databases, volumes, storage, operations, threatDetection])
    part(e, resources);
  const items = [...e.items].sort((a, b) => b.max - a.max);
  const total = (pick: (i: CostItem) => number) => items.reduce((sum, item) => sum + pick(item), 0);
  return { items, min: total((i) => i.min), max: total((i) => i.max), unpriced: [...new Set(e.unpriced)] };
}

// Thousands grouped by hand: toLocaleString would start ICU's number formatting (about 15 ms, once per
// process) for a comma.
const usd = (n: number) => `$${String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, ",")}`;

/** "$1,234 to $2,345" (or one figure when min and max agree). */
export function range(min: number, max: number): string {
  return Math.round(min) === Math.round(max) ? usd(min) : `${usd(min)} to ${usd(max)}`;
}

/** The estimate as sentences: the totals, then the top items. */
export function describeEstimate(estimate: CostEstimate, top = 6): string {
  return [
    `Estimated monthly cost (sa-east-1, on-demand USD, prices compiled ${PRICES_COMPILED}): ${range(estimate.min, estimate.max)} ` +
      `(minimum scale to node groups and storage at their maximum).`,
    `Top items: ${estimate.items
      .slice(0, top)
      .map((i) => `${i.name} ${range(i.min, i.max)}`)
      .join("; ")}.`,
    ...(estimate.unpriced.length ? [`Not priced: ${estimate.unpriced.join("; ")}.`] : []),
  ].join("\n");
}

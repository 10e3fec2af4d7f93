import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import * as net from "net";
import { ADDON_NAMES, AddonKey, compareAddonVersions } from "./catalog/addons";
import { zonesOf } from "./catalog/zones";
import {
  CLAIM_NAME_TAG,
  CLAIM_NAMESPACE_TAG,
  MONITORING_CLAIMS,
  type ProvisionedVolume,
} from "./catalog/volumes";
import { ConfigError, formatProblems, section, type Settings } from "./index";
import type { ConfigProblem } from "./schema";

// The preflight: what the offline checks cannot know, asked of the real account before the
// program registers a single resource. Each answer comes from an AWS provider function (an invoke,
// which runs in a preview too) and is read as the provider documents its result; every problem
// becomes one line of one message, and an invoke's failure (a "no match" from the provider, a
// denied call) is such a line too, never a stack trace.

/** What the account told the preflight, for the components that need it. */
export interface AccountFacts {
  accountId: string;
  /** The IAM role running this preview or update (an assumed-role session mapped back to its role). */
  deployer: string;
  /**
   * EC2 Auto Scaling's service-linked role. It launches the nodes, so the key of their volumes
   * must let it in (AWS: "Required AWS KMS key policy for use with encrypted volumes").
   */
  autoscalingRoleArn: string;
  /** Prometheus's volumes that already exist (none before the first deploy). */
  prometheusVolumes: ProvisionedVolume[];
  /**
   * The cache's running major.minor when AWS moved it past `cache.engineVersion` (a minor upgrade
   * it applied itself); undefined otherwise, and before the first deploy.
   */
  cacheVersionAhead?: string;
  /** The account's GuardDuty detector, when `audit.detector` is `existing`. */
  guardDutyDetectorId?: string;
  /** What the account told that the stack file should follow, for the preview's warnings. */
  warnings: string[];
}

/**
 * The environment variable of the bootstrap (`HEALTHFLOW_BOOTSTRAP=runners pulumi up`): the program
 * declares the network and the CI runners only, the first update of a fresh account.
 */
export const BOOTSTRAP_VARIABLE = "HEALTHFLOW_BOOTSTRAP";

/** EC2 Auto Scaling's service-linked role: one per account, created once. */
export const AUTOSCALING_SERVICE_ROLE = "AWSServiceRoleForAutoScaling";

type Outcome<T> = { value: T } | { reason: string };

/**
 * The provider's own reason from an invoke's error. The engine reports "invocation of <token>
 * returned an error: invoking <token>: 1 error occurred:\n\t* <reason>"; the reason is what the
 * user needs.
 */
export function invokeReason(error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  const bullets = message
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("* "))
    .map((line) => line.slice(2));
  if (bullets.length > 0) return bullets.join("; ");
  return message.replace(/^invocation of \S+ returned an error: (invoking \S+: )?/, "").trim();
}

async function attempt<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await call() };
  } catch (e) {
    return { reason: invokeReason(e) };
  }
}

/** `account/role-name` of a role or assumed-role ARN; a role's path does not name a different role. */
export function roleKey(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):(role|assumed-role)\/(.+)$/.exec(arn);
  if (!m) return undefined;
  const segments = m[3].split("/");
  // role/<path>/<name>; assumed-role/<name>/<session>
  const name = m[2] === "role" ? segments[segments.length - 1] : segments[0];
  return `${m[1]}/${name}`;
}

interface Check {
  problems: ConfigProblem[];
}

async function identity(
  settings: Settings,
  opts: pulumi.InvokeOptions,
  updating: boolean,
): Promise<Check & { accountId?: string; deployer?: string }> {
  const cluster = section(settings, "cluster");
  const caller = await attempt(() => aws.getCallerIdentity({}, opts));
  if ("reason" in caller) {
    return {
      problems: [
        {
          path: ["cluster", "adminRoleArns"],
          value: cluster.adminRoleArns,
          message: `could not be checked: AWS did not say who is deploying (${caller.reason}); give the program credentials (OIDC in CI, \`aws sso login\` on a laptop)`,
        },
      ],
    };
  }
  const { accountId, arn } = caller.value;
  // The documented way back from an assumed-role session to its role (with the role's path); the
  // ARN's own account/name is the fallback when iam:GetRole is not allowed.
  const context = await attempt(() => aws.iam.getSessionContext({ arn }, opts));
  // An issuer it cannot name comes back empty: the session's own ARN names the role then.
  const deployer = "value" in context && context.value.issuerArn ? context.value.issuerArn : arn;
  const key = roleKey(deployer) ?? roleKey(arn);
  const listed = (arns: string[]) => key !== undefined && arns.some((a) => roleKey(a) === key);
  const action = updating ? "update" : "preview";
  const problem = (message: string): Check => ({
    problems: [{ path: ["cluster", "adminRoleArns"], value: cluster.adminRoleArns, message }],
  });
  const noCreatorAdmin =
    "the cluster grants its creator no access (API authentication without bootstrap admin): anyone else's update would fail every Kubernetes resource after EKS's 10-minute create";
  let result: Check = { problems: [] };
  if (key === undefined) {
    result = problem(
      `cannot include ${deployer}, which runs this ${action}: it is not an IAM role, and the cluster's access entries name roles; run as one of these roles`,
    );
  } else if (!listed(cluster.adminRoleArns)) {
    if (updating && listed(cluster.previewRoleArns)) {
      result = problem(
        `does not include ${deployer}, which runs this update: it is one of previewRoleArns, read-only in the cluster; run \`pulumi up\` as one of adminRoleArns`,
      );
    } else if (updating || !listed(cluster.previewRoleArns)) {
      result = problem(
        `does not include ${deployer}, which runs this ${action}: add it, or run as one of these roles; ${noCreatorAdmin}`,
      );
    }
  }
  return { ...result, accountId, deployer };
}

/**
 * Where the program's own EKS calls go instead, when set: the engine of the offline plan and the
 * tests puts a promise of its loopback stand-in's URL here (tools/engine/eksApi.ts); a real preview
 * or update leaves it unset and asks EKS in the stack's region.
 */
export const EKS_API_SLOT = Symbol.for("healthflow.eksApi");

/**
 * Every version of `addonName` EKS offers for `kubernetesVersion` (DescribeAddonVersions, all pages).
 * The provider has no function that lists them (aws.eks.getAddonVersion gives the default or the
 * newest only), so the AWS SDK asks, with the credential chain the provider uses too (environment,
 * profile, SSO, web identity).
 */
async function eksClient(region: string) {
  const { EKSClient } = await import("@aws-sdk/client-eks");
  const standIn = (globalThis as Record<symbol, unknown>)[EKS_API_SLOT] as Promise<string> | undefined;
  return new EKSClient(
    standIn
      ? {
          region,
          endpoint: await standIn,
          credentials: { accessKeyId: "stand-in", secretAccessKey: "stand-in" },
        }
      : { region },
  );
}

async function addonVersions(
  client: import("@aws-sdk/client-eks").EKSClient,
  addonName: string,
  kubernetesVersion: string,
): Promise<string[]> {
  const { paginateDescribeAddonVersions } = await import("@aws-sdk/client-eks");
  const versions: string[] = [];
  for await (const page of paginateDescribeAddonVersions({ client }, { addonName, kubernetesVersion })) {
    for (const addon of page.addons ?? []) {
      if (addon.addonName !== addonName) continue;
      for (const v of addon.addonVersions ?? []) if (v.addonVersion) versions.push(v.addonVersion);
    }
  }
  return versions;
}

/**
 * Each pinned add-on is one of the versions EKS offers for the cluster's Kubernetes version: EKS
 * accepts no other (EKS API reference, CreateAddon/UpdateAddon `addonVersion`: "The version must match
 * one of the versions returned by DescribeAddonVersions"), and would refuse it only after the cluster
 * exists, halfway through a first deploy.
 */
async function addons(settings: Settings, region: string): Promise<Check> {
  const { kubernetesVersion, addons: pinned } = section(settings, "cluster");
  // One client for the six (its connections and credentials are shared).
  const client = await eksClient(region);
  const checks = (Object.keys(ADDON_NAMES) as AddonKey[]).map(async (key): Promise<ConfigProblem[]> => {
    const addonName = ADDON_NAMES[key];
    const at = { path: ["cluster", "addons", key], value: pinned[key] };
    const offered = await attempt(() => addonVersions(client, addonName, kubernetesVersion));
    if ("reason" in offered) {
      return [
        {
          ...at,
          message: `could not be checked: EKS did not list the ${addonName} versions (${offered.reason})`,
        },
      ];
    }
    if (offered.value.length === 0) {
      return [
        { ...at, message: `EKS offers no ${addonName} for Kubernetes ${kubernetesVersion} in ${region}` },
      ];
    }
    if (!offered.value.includes(pinned[key])) {
      const newest = [...offered.value].sort(compareAddonVersions).pop();
      return [
        {
          ...at,
          message: `is not a ${addonName} version EKS offers for Kubernetes ${kubernetesVersion} in ${region} (newest: ${newest}); pick one from \`aws eks describe-addon-versions --addon-name ${addonName} --kubernetes-version ${kubernetesVersion}\``,
        },
      ];
    }
    return [];
  });
  try {
    return { problems: (await Promise.all(checks)).flat() };
  } finally {
    client.destroy();
  }
}

async function nodeTypes(settings: Settings, opts: pulumi.InvokeOptions, zones: string[]): Promise<Check> {
  const groups = section(settings, "cluster").nodeGroups;
  const types = [...new Set(groups.flatMap((g) => g.instanceTypes))];
  const offerings = await attempt(() =>
    aws.ec2.getInstanceTypeOfferings(
      {
        locationType: "availability-zone",
        filters: [
          { name: "instance-type", values: types },
          { name: "location", values: zones },
        ],
      },
      opts,
    ),
  );
  if ("reason" in offerings) {
    return {
      problems: [
        {
          path: ["cluster", "nodeGroups"],
          value: types,
          message: `could not be checked against EC2's offerings in ${zones.join(", ")} (${offerings.reason})`,
        },
      ],
    };
  }
  // The result is three parallel lists: instanceTypes[i] is offered in locations[i].
  const { instanceTypes, locations } = offerings.value;
  const offered = new Set(instanceTypes.map((type, i) => `${type}@${locations[i]}`));
  const problems = groups.flatMap((group, i) =>
    group.instanceTypes.flatMap((type, j) => {
      const missing = zones.filter((zone) => !offered.has(`${type}@${zone}`));
      return missing.length === 0
        ? []
        : [
            {
              path: ["cluster", "nodeGroups", i, "instanceTypes", j],
              value: type,
              message: `is not offered in ${missing.join(", ")}, where the nodes run (network.availabilityZones: ${zones.join(", ")}); pick a type EC2 offers in every zone`,
            },
          ];
    }),
  );
  return { problems };
}

async function database(
  settings: Settings,
  opts: pulumi.InvokeOptions,
  region: string,
  zones: string[],
): Promise<Check> {
  const db = section(settings, "database");
  const version = { path: ["database", "engineVersion"], value: db.engineVersion };
  // A major version: RDS creates its default minor, which is what must be orderable.
  const engine = await attempt(() =>
    aws.rds.getEngineVersion(
      { engine: "postgres", version: db.engineVersion, defaultOnly: true, latest: true },
      opts,
    ),
  );
  if ("reason" in engine) {
    return {
      problems: [
        { ...version, message: `RDS has no PostgreSQL ${db.engineVersion} in ${region} (${engine.reason})` },
      ],
    };
  }
  const resolved = engine.value.versionActual || engine.value.version;
  if (engine.value.parameterGroupFamily !== `postgres${db.engineVersion}`) {
    return {
      problems: [
        {
          ...version,
          message: `resolves to ${resolved}, whose parameter group family is ${engine.value.parameterGroupFamily}, not postgres${db.engineVersion}`,
        },
      ],
    };
  }
  const instance = { path: ["database", "instanceClass"], value: db.instanceClass };
  const orderable = await attempt(() =>
    aws.rds.getOrderableDbInstance(
      {
        engine: "postgres",
        engineVersion: resolved,
        instanceClass: db.instanceClass,
        storageType: "gp3",
        vpc: true,
        preferredInstanceClasses: [db.instanceClass],
      },
      opts,
    ),
  );
  if ("reason" in orderable) {
    return {
      problems: [
        {
          ...instance,
          message: `RDS offers no gp3 PostgreSQL ${resolved} instance of this class in ${region} (${orderable.reason})`,
        },
      ],
    };
  }
  const option = orderable.value;
  const lacks = (
    [
      [db.multiAz && !option.multiAzCapable, "Multi-AZ (database.multiAz)"],
      [db.readReplicas > 0 && !option.readReplicaCapable, "read replicas (database.readReplicas)"],
      [!option.supportsStorageEncryption, "storage encryption"],
      [!option.supportsPerformanceInsights, "Performance Insights"],
      [!option.supportsIamDatabaseAuthentication, "IAM database authentication"],
      [!option.supportsStorageAutoscaling, "storage autoscaling (database.maxAllocatedStorageGiB)"],
    ] as [boolean, string][]
  )
    .filter(([missing]) => missing)
    .map(([, what]) => what);
  const inZones = option.availabilityZones.filter((zone) => zones.includes(zone));
  const problems: ConfigProblem[] = [];
  if (lacks.length > 0) {
    problems.push({
      ...instance,
      message: `does not support ${lacks.join(", ")} for PostgreSQL ${resolved} in ${region}`,
    });
  }
  if (inZones.length < (db.multiAz ? 2 : 1)) {
    problems.push({
      ...instance,
      message: `is offered only in ${option.availabilityZones.join(", ") || "no zone"}, not in enough of the network's zones (${zones.join(", ")})`,
    });
  }
  if (db.maxAllocatedStorageGiB > option.maxStorageSize) {
    problems.push({
      path: ["database", "maxAllocatedStorageGiB"],
      value: db.maxAllocatedStorageGiB,
      message: `must be <= ${option.maxStorageSize}, the most gp3 storage RDS gives ${db.instanceClass}`,
    });
  }
  return { problems };
}

async function cacheNodes(settings: Settings, opts: pulumi.InvokeOptions, region: string): Promise<Check> {
  const cache = section(settings, "cache");
  // The AWS provider has no "orderable cache node" function; ElastiCache sells a reservation for
  // every node type it runs in a region, so a missing offering means a missing node type.
  const offering = await attempt(() =>
    aws.elasticache.getReservedCacheNodeOffering(
      {
        cacheNodeType: cache.nodeType,
        duration: "P1Y",
        offeringType: "No Upfront",
        productDescription: cache.engine,
      },
      opts,
    ),
  );
  return "reason" in offering
    ? {
        problems: [
          {
            path: ["cache", "nodeType"],
            value: cache.nodeType,
            message: `ElastiCache offers no ${cache.engine} node of this type in ${region} (${offering.reason})`,
          },
        ],
      }
    : { problems: [] };
}

async function autoscalingRole(
  settings: Settings,
  opts: pulumi.InvokeOptions,
): Promise<Check & { arn?: string }> {
  const role = await attempt(() => aws.iam.getRole({ name: AUTOSCALING_SERVICE_ROLE }, opts));
  if ("value" in role) return { problems: [], arn: role.value.arn };
  return {
    problems: [
      {
        path: ["cluster", "nodeGroups"],
        value: section(settings, "cluster").nodeGroups.map((g) => g.name),
        message: `need ${AUTOSCALING_SERVICE_ROLE}, EC2 Auto Scaling's service-linked role, which launches the nodes and must be named in their volume key's policy (${role.reason}); create it once per account: aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com`,
      },
    ],
  };
}

/**
 * The monitoring volumes that already exist, found by the tags the EBS CSI driver puts on them
 * (settings/catalog/volumes.ts) and the stack's own `stack` tag (the StorageClass's, VOLUME_TAG_KEYS):
 * - a claim cannot shrink, nor can an EBS volume, so a `prometheusStorageGiB` below one of
 *   Prometheus's is refused; a larger one is what components/monitoring expands them to;
 * - two replicas' volumes in one zone are refused: the replicas must run in different zones (their
 *   hard zone spread, components/monitoring/values.ts), and a pod runs where its volume is, so one
 *   would stay Pending (volumes placed before the spread existed can be so).
 * `aws.ebs.getEbsVolumes` answers an empty `ids` when nothing matches and takes `status` as a
 * DescribeVolumes filter (terraform-provider-aws ebs_volumes_data_source.go); `aws.ebs.getVolume`
 * gives each one's `size` in GiB, `availabilityZone` and tags.
 */
async function monitoringVolumes(
  settings: Settings,
  opts: pulumi.InvokeOptions,
): Promise<Check & { prometheus?: ProvisionedVolume[] }> {
  const wanted = settings.monitoring.prometheusStorageGiB;
  const lookup = (status: string[]) =>
    attempt(() =>
      aws.ebs.getEbsVolumes(
        {
          tags: { stack: settings.stack, [CLAIM_NAMESPACE_TAG]: MONITORING_CLAIMS.namespace },
          filters: [
            {
              name: `tag:${CLAIM_NAME_TAG}`,
              values: [`${MONITORING_CLAIMS.prometheus}*`, `${MONITORING_CLAIMS.alertmanager}*`],
            },
            ...status.map((value) => ({ name: "status", values: [value] })),
          ],
        },
        opts,
      ),
    );
  const unchecked = (reason: string): ConfigProblem => ({
    path: ["monitoring", "prometheusStorageGiB"],
    value: wanted,
    message: `could not be checked against the monitoring volumes that already exist (${reason})`,
  });
  const [all, inUse] = await Promise.all([lookup([]), lookup(["in-use"])]);
  if ("reason" in all) return { problems: [unchecked(all.reason)] };
  if ("reason" in inUse) return { problems: [unchecked(inUse.reason)] };
  const attached = new Set(inUse.value.ids ?? []);
  const described = await Promise.all(
    (all.value.ids ?? []).map((id) =>
      attempt(() => aws.ebs.getVolume({ filters: [{ name: "volume-id", values: [id] }] }, opts)),
    ),
  );
  const problems: ConfigProblem[] = [];
  const volumes: ProvisionedVolume[] = [];
  for (const volume of described) {
    if ("reason" in volume) {
      problems.push(unchecked(volume.reason));
      continue;
    }
    const { volumeId, size, availabilityZone, tags } = volume.value;
    volumes.push({
      claim: tags[CLAIM_NAME_TAG],
      volumeId,
      sizeGiB: size,
      zone: availabilityZone,
      attached: attached.has(volumeId),
    });
  }
  const prometheus = volumes.filter((v) => v.claim.startsWith(MONITORING_CLAIMS.prometheus));
  for (const { volumeId, claim, sizeGiB } of prometheus) {
    if (sizeGiB > wanted) {
      problems.push({
        path: ["monitoring", "prometheusStorageGiB"],
        value: wanted,
        message: `is below the ${sizeGiB} GiB of Prometheus's volume ${volumeId} (claim ${claim}): neither a claim nor an EBS volume can shrink; keep ${sizeGiB} or more (docs/monitoring.md, "Prometheus's volume", says how to start again smaller)`,
      });
    }
  }
  const replicas = settings.monitoring.replicas ?? 1;
  problems.push(
    ...sharedZones("Prometheus", MONITORING_CLAIMS.prometheus, volumes, replicas),
    ...sharedZones("Alertmanager", MONITORING_CLAIMS.alertmanager, volumes, replicas),
  );
  return { problems, prometheus };
}

/**
 * Replicas (ordinals below `replicas`) whose volumes share a zone. A claim with more than one volume
 * has leftovers, and which one it uses cannot be told from the account: such claims are left out.
 */
function sharedZones(
  kind: string,
  prefix: string,
  volumes: ProvisionedVolume[],
  replicas: number,
): ConfigProblem[] {
  const ofClaim = new Map<string, ProvisionedVolume[]>();
  for (const v of volumes) {
    const ordinal = Number(v.claim.slice(prefix.length));
    if (!v.claim.startsWith(prefix) || !(ordinal < replicas)) continue;
    ofClaim.set(v.claim, [...(ofClaim.get(v.claim) ?? []), v]);
  }
  const inZone = new Map<string, ProvisionedVolume[]>();
  for (const [, [only, ...more]] of ofClaim) {
    if (more.length === 0) inZone.set(only.zone, [...(inZone.get(only.zone) ?? []), only]);
  }
  return [...inZone]
    .filter(([, placed]) => placed.length > 1)
    .map(([zone, placed]) => ({
      path: ["monitoring", "replicas"],
      value: replicas,
      message: `cannot all run: ${kind}'s volumes ${placed.map((v) => `${v.volumeId} (claim ${v.claim})`).join(" and ")} are all in ${zone}, and its replicas must run in different zones (each keeps its data on its own zone's volume), so all but one would stay Pending; move the others first (docs/monitoring.md, "Zones", says how)`,
    }));
}

/** The SSM parameter AWS publishes for an EKS-optimized AL2023 release: `<minor>/.../<AMI name>/image_id`. */
export function amiReleaseParameter(arch: string, releaseVersion: string): string {
  const [version, date] = releaseVersion.split("-");
  const minor = version.split(".").slice(0, 2).join(".");
  return `/aws/service/eks/optimized-ami/${minor}/amazon-linux-2023/${arch}/standard/amazon-eks-node-al2023-${arch}-standard-${minor}-v${date}/image_id`;
}

/**
 * Every node group's AMI release exists for its architecture in the region. AWS publishes each
 * release of the EKS-optimized AL2023 AMIs as public SSM parameters named by the AMI,
 * `/aws/service/eks/optimized-ami/<minor>/amazon-linux-2023/<arch>/standard/amazon-eks-node-al2023-
 * <arch>-standard-<minor>-v<date>/image_id`, and the newest as `.../recommended/release_version`
 * (EKS user guide, "Retrieve recommended Amazon Linux AMI IDs"; awslabs/amazon-eks-ami). The
 * parameter proves the dated release; the patch number is the cluster's to match (checked above).
 * A missing one is refused with the region's recommended release.
 */
async function nodeReleases(settings: Settings, opts: pulumi.InvokeOptions, region: string): Promise<Check> {
  const cluster = section(settings, "cluster");
  const checks = cluster.nodeGroups.map(async (group, i): Promise<ConfigProblem[]> => {
    const arch = group.architecture;
    const found = await attempt(() =>
      aws.ssm.getParameter(
        { name: amiReleaseParameter(arch, group.releaseVersion), withDecryption: false },
        opts,
      ),
    );
    if ("value" in found) return [];
    const recommended = await attempt(() =>
      aws.ssm.getParameter(
        {
          name: `/aws/service/eks/optimized-ami/${cluster.kubernetesVersion}/amazon-linux-2023/${arch}/standard/recommended/release_version`,
          withDecryption: false,
        },
        opts,
      ),
    );
    const hint = "value" in recommended ? `; the recommended one is ${recommended.value.insecureValue}` : "";
    return [
      {
        path: ["cluster", "nodeGroups", i, "releaseVersion"],
        value: group.releaseVersion,
        message: `is not an EKS-optimized AL2023 ${arch} release AWS publishes in ${region} (${found.reason})${hint}`,
      },
    ];
  });
  return { problems: (await Promise.all(checks)).flat() };
}

/** The live node groups of `cluster` whose minor is not `version`'s, as `<name> (<version>)`. */
async function nodeGroupsBehind(
  cluster: string,
  version: string,
  opts: pulumi.InvokeOptions,
): Promise<{ value: string[] } | { reason: string }> {
  const names = await attempt(() => aws.eks.getNodeGroups({ clusterName: cluster }, opts));
  if ("reason" in names) return names;
  const groups = await Promise.all(
    (names.value.names ?? []).map((nodeGroupName) =>
      attempt(() => aws.eks.getNodeGroup({ clusterName: cluster, nodeGroupName }, opts)),
    ),
  );
  const failed = groups.find((g): g is { reason: string } => "reason" in g);
  if (failed) return failed;
  return {
    value: groups
      .map((g) => (g as { value: { nodeGroupName: string; version: string } }).value)
      .filter((g) => g.version !== version)
      .map((g) => `${g.nodeGroupName} (${g.version})`),
  };
}

/** How long the preflight waits for the Kubernetes API to accept a connection. */
export const API_CONNECT_TIMEOUT_MS = 5000;

/**
 * Whether a TCP connection to the API server's endpoint opens from this machine: null if it does,
 * else why not. A private endpoint's name resolves to addresses inside the VPC, and a public one
 * drops what its CIDRs do not admit (EKS user guide, "Cluster API server endpoint"): either way no
 * connection, and every Kubernetes call of the update would fail after the AWS changes.
 */
export function apiUnreachable(endpoint: string, timeoutMs = API_CONNECT_TIMEOUT_MS): Promise<string | null> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 443) });
    const done = (reason: string | null) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no connection within ${timeoutMs / 1000} s`));
    socket.once("connect", () => done(null));
    socket.once("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/**
 * Where the live cluster's API can be reached from, for the refusal: EKS's own `vpcConfig`.
 */
function apiAccess(
  vpc: { endpointPublicAccess?: boolean; publicAccessCidrs?: string[] } | undefined,
): string {
  return vpc?.endpointPublicAccess
    ? `its public endpoint admits only ${(vpc.publicAccessCidrs ?? []).join(", ")}`
    : "its endpoint is private, reachable only inside the VPC";
}

/**
 * The live cluster's version, when it exists, against `kubernetesVersion`: EKS upgrades the control
 * plane one minor at a time and never downgrades it (EKS user guide, "Update existing cluster to new
 * Kubernetes version"). `aws.eks.getCluster` fails with "couldn't find resource" when there is none
 * yet (terraform-provider-aws eks cluster data source): a first deploy.
 */
async function liveCluster(
  settings: Settings,
  opts: pulumi.InvokeOptions,
  name: string,
  bootstrap: boolean,
): Promise<Check> {
  const wanted = section(settings, "cluster").kubernetesVersion;
  const live = await attempt(() => aws.eks.getCluster({ name }, opts));
  const path = ["cluster", "kubernetesVersion"];
  if ("reason" in live) {
    if (/couldn't find resource|ResourceNotFoundException/.test(live.reason)) return { problems: [] };
    return {
      problems: [
        { path, value: wanted, message: `could not be checked against the cluster ${name} (${live.reason})` },
      ],
    };
  }
  if (bootstrap) {
    // The bootstrap declares the network and the runners only: on a stack that has more, an update
    // would delete the rest.
    return {
      problems: [
        {
          path: ["cluster"],
          value: name,
          message: `exists already in this account: ${BOOTSTRAP_VARIABLE}=runners is only for the first update of a fresh account, and would delete everything but the network and the runners; unset it (docs/deploying.md#bootstrap-the-first-deployment-of-a-fresh-account)`,
        },
      ],
    };
  }
  if (live.value.endpoint) {
    const unreachable = await apiUnreachable(live.value.endpoint);
    if (unreachable) {
      return {
        problems: [
          {
            path: ["cluster", "publicAccessCidrs"],
            value: section(settings, "cluster").publicAccessCidrs,
            message: `do not let this machine reach the Kubernetes API of ${name} (${live.value.endpoint}: ${unreachable}); ${apiAccess(live.value.vpcConfig)}. Run from inside the VPC: the stack's CI runners (the Deploy, Preview and Drift workflows), or as docs/deploying.md#reaching-the-cluster says`,
          },
        ],
      };
    }
  }
  const minorOf = (version: string) => Number(version.split(".")[1]);
  const [from, to] = [minorOf(live.value.version), minorOf(wanted)];
  if (to < from) {
    return {
      problems: [
        {
          path,
          value: wanted,
          message: `is older than the cluster ${name}, which runs ${live.value.version}: EKS never downgrades a control plane (with supportType STANDARD, EKS upgrades it itself when a minor leaves standard support); set kubernetesVersion to "${live.value.version}" and bring the node groups to it (docs/upgrades.md)`,
        },
      ],
    };
  }
  if (to === from + 1) {
    // EKS updates a control plane only when its nodes run its minor ("Before updating your control
    // plane ... the Kubernetes minor version of ... the managed nodes ... are the same as your
    // control plane's version", EKS user guide, "Update existing cluster to new Kubernetes version").
    const behind = await nodeGroupsBehind(name, live.value.version, opts);
    if ("reason" in behind) {
      return {
        problems: [
          {
            path,
            value: wanted,
            message: `could not be checked against the node groups of ${name} (${behind.reason})`,
          },
        ],
      };
    }
    if (behind.value.length > 0) {
      return {
        problems: [
          {
            path,
            value: wanted,
            message: `cannot be reached yet: the node groups ${behind.value.join(", ")} of ${name} do not run its version ${live.value.version}, and EKS updates a control plane only when every node group runs its minor; update them first (docs/upgrades.md)`,
          },
        ],
      };
    }
  }
  if (to > from + 1) {
    return {
      problems: [
        {
          path,
          value: wanted,
          message: `skips a minor: the cluster ${name} runs ${live.value.version}, and EKS upgrades one minor at a time (go to 1.${from + 1} first; docs/upgrades.md)`,
        },
      ],
    };
  }
  return { problems: [] };
}

/** `[major, minor]` of an engine version ("8.1", "7.1.0"). */
function majorMinor(version: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * The cache's running version against `cache.engineVersion`. ElastiCache applies minor upgrades
 * itself (`autoMinorVersionUpgrade`, on by default for Valkey and Redis OSS 6+), and the provider
 * reads the running major.minor back into `engineVersion`; a setting left behind then looks like a
 * downgrade, which the provider turns into a replacement of the cache (terraform-provider-aws
 * internal/service/elasticache/engine_version.go, engineVersionForceNewOnDowngrade). The running
 * version is the member clusters' (`aws.elasticache.getCluster` → `engineVersion`).
 */
async function liveCache(
  settings: Settings,
  opts: pulumi.InvokeOptions,
  namePrefix: string,
): Promise<Check & { ahead?: string; warning?: string }> {
  const wanted = section(settings, "cache").engineVersion;
  const path = ["cache", "engineVersion"];
  const group = await attempt(() =>
    aws.elasticache.getReplicationGroup({ replicationGroupId: `${namePrefix}-cache` }, opts),
  );
  if ("reason" in group) {
    if (/couldn't find resource|NotFound/.test(group.reason)) return { problems: [] };
    return {
      problems: [
        { path, value: wanted, message: `could not be checked against the running cache (${group.reason})` },
      ],
    };
  }
  const [member] = group.value.memberClusters ?? [];
  if (!member) return { problems: [] };
  const node = await attempt(() => aws.elasticache.getCluster({ clusterId: member }, opts));
  if ("reason" in node) {
    return {
      problems: [
        { path, value: wanted, message: `could not be checked against the running cache (${node.reason})` },
      ],
    };
  }
  const [running, pinned] = [majorMinor(node.value.engineVersion), majorMinor(wanted)];
  if (!running || !pinned) return { problems: [] };
  const behind = running[0] > pinned[0] || (running[0] === pinned[0] && running[1] > pinned[1]);
  if (!behind) return { problems: [] };
  const ahead = `${running[0]}.${running[1]}`;
  return {
    problems: [],
    ahead,
    warning: `Stack "${settings.stack}": healthflow:cache.engineVersion = "${wanted}" is behind the running cache, which AWS upgraded to ${node.value.engineVersion}: the update keeps ${ahead} (a lower setting would replace the cache); set cache.engineVersion to "${ahead}" in Pulumi.${settings.stack}.yaml`,
  };
}

/**
 * GuardDuty's detector: one per account and region ("You can have only one detector per account per
 * Region", GuardDuty API reference, CreateDetector), so creating a second fails mid-update. With
 * `audit.detector: create` none may exist but this stack's own (its default tags name the stack);
 * with `existing` one must exist, and the stack uses it. `aws.guardduty.getDetector` without an id
 * finds the region's one, and fails when there is none.
 */
async function guardDutyDetector(
  settings: Settings,
  opts: pulumi.InvokeOptions,
  region: string,
): Promise<Check & { detectorId?: string }> {
  const { detector: mode } = section(settings, "audit");
  const at = { path: ["audit", "detector"], value: mode };
  const found = await attempt(() => aws.guardduty.getDetector({}, opts));
  if ("reason" in found) {
    if (!/empty result|no .*found|couldn't find|not found/i.test(found.reason)) {
      return { problems: [{ ...at, message: `could not be checked (${found.reason})` }] };
    }
    return mode === "existing"
      ? {
          problems: [
            { ...at, message: `finds no GuardDuty detector in ${region}: set audit.detector to "create"` },
          ],
        }
      : { problems: [] };
  }
  const { id, tags } = found.value;
  if (mode === "existing") return { problems: [], detectorId: id };
  const ours = tags?.stack === settings.stack && tags?.["managed-by"] === "pulumi";
  if (ours) return { problems: [] };
  return {
    problems: [
      {
        ...at,
        message: `cannot create a GuardDuty detector: the account already has ${id} in ${region}, and GuardDuty allows one per account and region; set audit.detector to "existing" to use it (the stack then manages its protections and alerts), or take it into the stack with \`pulumi import aws:guardduty/detector:Detector guardduty ${id}\` (docs/monitoring.md)`,
      },
    ],
  };
}

/**
 * The runners' GitHub connection: AVAILABLE once a person finished it in the console. A PENDING
 * connection makes CodeBuild refuse the project's webhook (the provider's codebuild/webhook docs: the
 * authorization is a "manual step that must be done before creating webhooks").
 */
async function runnerConnection(settings: Settings, opts: pulumi.InvokeOptions): Promise<Check> {
  const { connectionArn } = section(settings, "runners");
  const at = { path: ["runners", "connectionArn"], value: connectionArn };
  const connection = await attempt(() => aws.codestarconnections.getConnection({ arn: connectionArn }, opts));
  if ("reason" in connection) {
    return { problems: [{ ...at, message: `could not be read (${connection.reason})` }] };
  }
  const { connectionStatus, providerType } = connection.value;
  if (providerType !== "GitHub") {
    return { problems: [{ ...at, message: `is a connection to ${providerType}, not to GitHub` }] };
  }
  if (connectionStatus !== "AVAILABLE") {
    return {
      problems: [
        {
          ...at,
          message: `is ${connectionStatus}, not AVAILABLE: finish it in the AWS console (Developer Tools › Settings › Connections › Update pending connection, which installs the AWS Connector GitHub App) before the runners are created`,
        },
      ],
    };
  }
  return { problems: [] };
}

/**
 * Checks a staging/production stack against its AWS account before anything is registered: who
 * deploys (an admin of the cluster for an update; an admin or preview role for a preview), that
 * EKS offers the add-ons for the Kubernetes version, that EC2 offers the node types in every zone,
 * that RDS has the PostgreSQL version and instance class, that ElastiCache has the node type, that
 * the account has the service-linked role the node volumes' key names, that no volume Prometheus
 * already has is larger than its setting, that no two monitoring replicas' volumes share a zone,
 * that AWS publishes each node group's AMI release, that the live cluster (if any) is at most one
 * minor behind `kubernetesVersion`, not ahead of it, and that its API is reachable from here, and
 * that the runners' GitHub connection is available.
 * Throws one ConfigError listing every problem.
 */
export async function preflight(
  settings: Settings,
  provider: aws.Provider,
  updating: boolean,
  clusterName: string,
  bootstrap = false,
): Promise<AccountFacts> {
  const opts: pulumi.InvokeOptions = { provider };
  const region = section(settings, "aws").region;
  const zones = zonesOf(region, section(settings, "network").availabilityZones);
  const [who, role, monitoring, cache, detector, ...checks] = await Promise.all([
    identity(settings, opts, updating),
    autoscalingRole(settings, opts),
    monitoringVolumes(settings, opts),
    liveCache(settings, opts, clusterName),
    guardDutyDetector(settings, opts, region),
    nodeReleases(settings, opts, region),
    liveCluster(settings, opts, clusterName, bootstrap),
    addons(settings, region),
    nodeTypes(settings, opts, zones),
    database(settings, opts, region, zones),
    cacheNodes(settings, opts, region),
    runnerConnection(settings, opts),
  ]);
  const problems = [who, role, monitoring, cache, detector, ...checks].flatMap((check) => check.problems);
  if (problems.length > 0 || !who.accountId || !who.deployer || !role.arn || !monitoring.prometheus) {
    throw new ConfigError(
      formatProblems(settings.stack, problems, {
        noun: "problem",
        outcome: "nothing was created or changed",
        source: `found by the preflight in ${who.accountId ? `AWS account ${who.accountId}` : "AWS"} (${region})`,
      }),
      problems,
    );
  }
  return {
    accountId: who.accountId,
    deployer: who.deployer,
    autoscalingRoleArn: role.arn,
    prometheusVolumes: monitoring.prometheus,
    cacheVersionAhead: cache.ahead,
    guardDutyDetectorId: detector.detectorId,
    warnings: cache.warning ? [cache.warning] : [],
  };
}

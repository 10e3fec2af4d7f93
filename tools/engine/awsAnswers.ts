// What the AWS provider's functions answer in sa-east-1, for the program's preflight and its
// lookups under the mocks. Each answer is shaped as the provider documents its result, filters as
// the AWS API filters, and fails as the provider fails (the engine's "invocation of ... returned
// an error" with the provider's own reason), so a check that passes here reads a real answer the
// same way. A test that needs a different account (a zone without a type, another deployer)
// overrides one answer through `runProgram`'s `invokes`.

export type InvokeAnswer = (inputs: Record<string, unknown>) => Record<string, unknown>;

/** The AWS account the mocks pretend to be (AWS's documentation account). */
export const MOCK_ACCOUNT = "111122223333";

/** Who runs the plan: the platform's admin role, as the stack files list it, through an assumed-role session. */
export const MOCK_DEPLOYER = `arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/healthflow-platform-admin/healthflow-preview`;

/** An invoke's failure as the engine reports it to the program. */
export function providerError(token: string, reason: string): Error {
  const details = `invocation of ${token} returned an error: invoking ${token}: 1 error occurred:\n\t* ${reason}`;
  // The SDK rethrows the gRPC error's `details`, which is what a real engine sends.
  return Object.assign(new Error(details), { details });
}

const ZONES = ["sa-east-1a", "sa-east-1b", "sa-east-1c"];

/** EC2 types offered in sa-east-1: the capacity catalog's, in every zone. */
const EC2_TYPES = [
  "t4g.medium",
  "t4g.large",
  "m6g.large",
  "m6g.xlarge",
  "m7g.large",
  "m7g.xlarge",
  "m7g.2xlarge",
  "c7g.large",
  "c7g.xlarge",
  "r7g.large",
  "r7g.xlarge",
  "m7i.large",
  "m7i.xlarge",
];

/** EKS add-on versions for each Kubernetes version: the default and the newest. */
const ADDONS: Record<string, Record<string, { default: string; newest: string }>> = {
  "1.35": {
    "vpc-cni": { default: "v1.20.4-eksbuild.2", newest: "v1.21.1-eksbuild.1" },
    "kube-proxy": { default: "v1.35.0-eksbuild.2", newest: "v1.35.3-eksbuild.13" },
    "eks-pod-identity-agent": { default: "v1.3.9-eksbuild.3", newest: "v1.3.10-eksbuild.2" },
    coredns: { default: "v1.13.1-eksbuild.1", newest: "v1.14.2-eksbuild.4" },
    "aws-ebs-csi-driver": { default: "v1.56.0-eksbuild.1", newest: "v1.57.1-eksbuild.1" },
    "metrics-server": { default: "v0.8.0-eksbuild.6", newest: "v0.8.1-eksbuild.10" },
  },
  "1.34": {
    "vpc-cni": { default: "v1.20.4-eksbuild.2", newest: "v1.21.1-eksbuild.1" },
    "kube-proxy": { default: "v1.34.0-eksbuild.4", newest: "v1.34.3-eksbuild.9" },
    "eks-pod-identity-agent": { default: "v1.3.9-eksbuild.3", newest: "v1.3.10-eksbuild.2" },
    coredns: { default: "v1.12.4-eksbuild.1", newest: "v1.13.2-eksbuild.3" },
    "aws-ebs-csi-driver": { default: "v1.56.0-eksbuild.1", newest: "v1.57.1-eksbuild.1" },
    "metrics-server": { default: "v0.8.0-eksbuild.6", newest: "v0.8.1-eksbuild.10" },
  },
  "1.33": {
    "vpc-cni": { default: "v1.19.6-eksbuild.7", newest: "v1.21.1-eksbuild.1" },
    "kube-proxy": { default: "v1.33.0-eksbuild.2", newest: "v1.33.5-eksbuild.11" },
    "eks-pod-identity-agent": { default: "v1.3.8-eksbuild.2", newest: "v1.3.10-eksbuild.2" },
    coredns: { default: "v1.12.1-eksbuild.2", newest: "v1.12.4-eksbuild.6" },
    "aws-ebs-csi-driver": { default: "v1.54.0-eksbuild.1", newest: "v1.57.1-eksbuild.1" },
    "metrics-server": { default: "v0.7.2-eksbuild.4", newest: "v0.8.1-eksbuild.10" },
  },
};

/**
 * The versions of an EKS add-on offered for a Kubernetes version, newest first, as
 * DescribeAddonVersions lists them (tools/engine/eksApi.ts answers with these); none for a version
 * EKS does not have.
 */
export function addonVersionsOffered(kubernetesVersion: string, addonName: string): string[] {
  const versions = ADDONS[kubernetesVersion]?.[addonName];
  return versions ? [versions.newest, versions.default] : [];
}

/** RDS for PostgreSQL majors available in sa-east-1 and their default minor (12 and older are gone). */
const POSTGRES_DEFAULTS: Record<string, string> = {
  "13": "13.22",
  "14": "14.19",
  "15": "15.14",
  "16": "16.10",
  "17": "17.6",
};

/** Every available minor of a major, newest last (the default's patch level and the two before it). */
function postgresVersions(): string[] {
  return Object.values(POSTGRES_DEFAULTS).flatMap((v) => {
    const [major, minor] = v.split(".").map(Number);
    return [minor - 2, minor - 1, minor].map((m) => `${major}.${m}`);
  });
}

/** RDS classes for PostgreSQL in sa-east-1 with gp3; Performance Insights skips the two smallest burstables. */
const RDS_CLASSES = [
  ...["micro", "small", "medium", "large", "xlarge", "2xlarge"].map((s) => `db.t4g.${s}`),
  ...["m6g", "m7g", "r6g", "r7g", "m6i", "r6i"].flatMap((family) =>
    ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge"].map((s) => `db.${family}.${s}`),
  ),
];
const NO_PERFORMANCE_INSIGHTS = new Set(["db.t4g.micro", "db.t4g.small"]);

const CACHE_NODE_TYPES = [
  ...["micro", "small", "medium"].map((s) => `cache.t4g.${s}`),
  ...["m6g", "m7g", "r6g", "r7g"].flatMap((family) =>
    ["large", "xlarge", "2xlarge", "4xlarge"].map((s) => `cache.${family}.${s}`),
  ),
];

/** EC2/RDS filter values match with `*` and `?` wildcards. */
function matches(value: string, pattern: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(value);
}

const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));

/**
 * EKS-optimized AL2023 AMI releases published in sa-east-1, per Kubernetes minor, oldest first
 * (awslabs/amazon-eks-ami CHANGELOG, 1.35 releases v20260114 to v20260714); the same for arm64
 * and x86_64.
 */
const AMI_RELEASES: Record<string, string[]> = {
  "1.35": [
    "1.35.0-20260114",
    "1.35.4-20260505",
    "1.35.5-20260610",
    "1.35.6-20260618",
    "1.35.6-20260625",
    "1.35.6-20260714",
  ],
};

/** The public SSM parameters of those releases: each AMI's `image_id`, and each minor's recommended release. */
function amiParameters(): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const [minor, releases] of Object.entries(AMI_RELEASES)) {
    for (const arch of ["arm64", "x86_64"]) {
      const base = `/aws/service/eks/optimized-ami/${minor}/amazon-linux-2023/${arch}/standard`;
      releases.forEach((release, i) => {
        const date = release.split("-")[1];
        parameters[`${base}/amazon-eks-node-al2023-${arch}-standard-${minor}-v${date}/image_id`] =
          `ami-0${arch === "arm64" ? "a" : "b"}${minor.replace(".", "")}${String(i).padStart(10, "0")}`;
      });
      parameters[`${base}/recommended/release_version`] = releases[releases.length - 1];
    }
  }
  return parameters;
}

/** An EBS volume in the account, as DescribeVolumes reports it. */
export interface MockVolume {
  volumeId: string;
  /** GiB. */
  size: number;
  tags: Record<string, string>;
  /** Default sa-east-1a. */
  zone?: string;
  /** DescribeVolumes' `status`: default `in-use` (attached to a node). */
  status?: "available" | "in-use";
}

/**
 * `aws.ebs.getEbsVolumes` and `aws.ebs.getVolume` over `volumes`, filtered as DescribeVolumes filters:
 * `tags` as exact `tag:<key>` filters, `filters` with wildcards (`volume-id`, `status`,
 * `availability-zone`, `tag:<key>`), several filters all applying and a filter's values any. The plural answers
 * an empty `ids` when nothing matches (ebs_volumes_data_source.go); the singular fails, with the
 * provider's words, unless exactly one does (terraform-provider-aws ebs_volume_data_source.go).
 */
export function ebsVolumeAnswers(volumes: MockVolume[]): Record<string, InvokeAnswer> {
  const select = (inputs: Record<string, unknown>) => {
    const tags = (inputs.tags ?? {}) as Record<string, string>;
    const filters = [
      ...Object.entries(tags).map(([key, value]) => ({ name: `tag:${key}`, values: [value] })),
      ...((inputs.filters ?? []) as { name: string; values: string[] }[]),
    ];
    const field = (volume: MockVolume, name: string) => {
      if (name === "volume-id") return volume.volumeId;
      if (name === "status") return volume.status ?? "in-use";
      if (name === "availability-zone") return volume.zone ?? "sa-east-1a";
      return name.startsWith("tag:") ? volume.tags[name.slice(4)] : undefined;
    };
    return volumes.filter((volume) =>
      filters.every((f) => {
        const value = field(volume, f.name);
        return value !== undefined && f.values.some((p) => matches(value, p));
      }),
    );
  };
  return {
    "aws:ebs/getEbsVolumes:getEbsVolumes": (inputs) => ({
      id: "sa-east-1",
      ids: select(inputs).map((v) => v.volumeId),
      filters: inputs.filters,
      tags: inputs.tags,
    }),
    "aws:ebs/getVolume:getVolume": (inputs) => {
      const found = select(inputs);
      if (found.length !== 1) {
        throw providerError(
          "aws:ebs/getVolume:getVolume",
          found.length === 0
            ? "Your query returned no results. Please change your search criteria and try again."
            : "Your query returned more than one result. Please try a more specific search criteria, or set `most_recent` attribute to true.",
        );
      }
      const [volume] = found;
      return {
        id: volume.volumeId,
        volumeId: volume.volumeId,
        size: volume.size,
        tags: volume.tags,
        encrypted: true,
        volumeType: "gp3",
        availabilityZone: volume.zone ?? "sa-east-1a",
        arn: `arn:aws:ec2:sa-east-1:${MOCK_ACCOUNT}:volume/${volume.volumeId}`,
      };
    },
  };
}

/**
 * A cache already running `engineVersion` (as ElastiCache reports it, e.g. "8.2.0" after a minor
 * upgrade AWS applied itself): its replication group with two members, and each member's version.
 */
export function runningCacheAnswers(engineVersion: string): Record<string, InvokeAnswer> {
  return {
    "aws:elasticache/getReplicationGroup:getReplicationGroup": (inputs) => {
      const id = String(inputs.replicationGroupId);
      return { id, replicationGroupId: id, memberClusters: [`${id}-001`, `${id}-002`] };
    },
    "aws:elasticache/getCluster:getCluster": (inputs) => ({
      id: String(inputs.clusterId),
      clusterId: String(inputs.clusterId),
      engine: "valkey",
      engineVersion,
    }),
  };
}

/** The stack's EKS cluster, already running `version` (its API endpoint a name that does not resolve). */
export function existingClusterAnswers(version: string): Record<string, InvokeAnswer> {
  return {
    "aws:eks/getCluster:getCluster": (inputs) => ({
      id: String(inputs.name),
      name: String(inputs.name),
      version,
      status: "ACTIVE",
      endpoint: "https://existing-cluster.invalid",
      vpcConfig: { endpointPrivateAccess: true, endpointPublicAccess: false, publicAccessCidrs: [] },
    }),
  };
}

/** The region's GuardDuty detector, already there with these tags (another team's, or this stack's). */
export function existingDetectorAnswers(
  id: string,
  tags: Record<string, string>,
): Record<string, InvokeAnswer> {
  return {
    "aws:guardduty/getDetector:getDetector": () => ({
      id,
      arn: `arn:aws:guardduty:sa-east-1:${MOCK_ACCOUNT}:detector/${id}`,
      status: "ENABLED",
      findingPublishingFrequency: "SIX_HOURS",
      serviceRoleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty`,
      features: [],
      tags,
    }),
  };
}

/** The AWS provider functions the program calls, answered as sa-east-1 answers them. */
export const AWS_ANSWERS: Record<string, InvokeAnswer> = {
  // A cluster not deployed yet: Prometheus has no volume.
  ...ebsVolumeAnswers([]),

  // No cluster yet: the data source's "not found" (terraform-provider-aws eks cluster data source).
  "aws:eks/getCluster:getCluster": (inputs) => {
    throw providerError(
      "aws:eks/getCluster:getCluster",
      `reading EKS Cluster (${String(inputs.name)}): couldn't find resource`,
    );
  },

  // No cache yet: the data source's "not found" (terraform-provider-aws elasticache replication group data source).
  "aws:elasticache/getReplicationGroup:getReplicationGroup": (inputs) => {
    throw providerError(
      "aws:elasticache/getReplicationGroup:getReplicationGroup",
      `reading ElastiCache Replication Group (${String(inputs.replicationGroupId)}): couldn't find resource`,
    );
  },

  // No GuardDuty detector in the region yet: the data source's answer when none exists.
  "aws:guardduty/getDetector:getDetector": () => {
    throw providerError("aws:guardduty/getDetector:getDetector", "reading GuardDuty Detector: empty result");
  },

  // AWS's public parameters (the EKS AMI releases); a missing one as the data source reports it.
  "aws:ssm/getParameter:getParameter": (inputs) => {
    const name = String(inputs.name);
    const value = amiParameters()[name];
    if (value === undefined) {
      throw providerError(
        "aws:ssm/getParameter:getParameter",
        `reading SSM Parameter (${name}): couldn't find resource`,
      );
    }
    return {
      id: name,
      name,
      arn: `arn:aws:ssm:sa-east-1::parameter${name}`,
      type: "String",
      value,
      insecureValue: value,
      version: 1,
      withDecryption: inputs.withDecryption ?? true,
      region: "sa-east-1",
    };
  },

  // The runners' GitHub connection, finished in the console: AVAILABLE (CodeStar Connections
  // GetConnection; the codeconnections ARN of a connection made since the rename).
  "aws:codestarconnections/getConnection:getConnection": (inputs) => {
    const arn = String(inputs.arn);
    if (!/^arn:aws:(codeconnections|codestar-connections):sa-east-1:\d{12}:connection\//.test(arn)) {
      throw providerError(
        "aws:codestarconnections/getConnection:getConnection",
        `reading CodeStar Connections Connection (${arn}): couldn't find resource`,
      );
    }
    return {
      arn,
      id: arn,
      name: "healthflow-github",
      connectionStatus: "AVAILABLE",
      providerType: "GitHub",
      hostArn: "",
      region: "sa-east-1",
      tags: {},
    };
  },

  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: MOCK_ACCOUNT,
    arn: MOCK_DEPLOYER,
    userId: "AROAEXAMPLEADMIN00001:healthflow-preview",
    id: MOCK_ACCOUNT,
  }),

  // An assumed-role session's source role; other ARNs pass through (the provider's documented behaviour).
  "aws:iam/getSessionContext:getSessionContext": (inputs) => {
    const arn = String(inputs.arn);
    const m = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
    if (!m) return { arn, issuerArn: arn, issuerId: "", issuerName: "", sessionName: "", id: arn };
    return {
      arn,
      issuerArn: `arn:${m[1]}:iam::${m[2]}:role/${m[3]}`,
      issuerId: "AROAEXAMPLEADMIN00001",
      issuerName: m[3],
      sessionName: m[4],
      id: arn,
    };
  },

  // Only the service-linked role every account that ever ran an Auto Scaling group has.
  "aws:iam/getRole:getRole": (inputs) => {
    const name = String(inputs.name);
    if (name !== "AWSServiceRoleForAutoScaling") {
      throw providerError("aws:iam/getRole:getRole", `reading IAM Role (${name}): couldn't find resource`);
    }
    return {
      arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/${name}`,
      name,
      path: "/aws-service-role/autoscaling.amazonaws.com/",
      id: name,
      uniqueId: "AROAEXAMPLEAUTOSCALE1",
    };
  },

  "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": (inputs) => {
    const locationType = str(inputs.locationType) ?? "region";
    const filters = (inputs.filters ?? []) as { name: string; values: string[] }[];
    const wanted = (name: string, value: string) =>
      filters.filter((f) => f.name === name).every((f) => f.values.some((p) => matches(value, p)));
    const locations = locationType === "region" ? ["sa-east-1"] : ZONES;
    const pairs = EC2_TYPES.flatMap((type) => locations.map((location) => ({ type, location }))).filter(
      (p) => wanted("instance-type", p.type) && wanted("location", p.location),
    );
    return {
      id: "sa-east-1",
      region: "sa-east-1",
      filters,
      locationType,
      instanceTypes: pairs.map((p) => p.type),
      locations: pairs.map((p) => p.location),
      locationTypes: pairs.map(() => locationType),
    };
  },

  // DescribeDBEngineVersions, then the provider's selection (defaultOnly, latest, exact or partial version).
  "aws:rds/getEngineVersion:getEngineVersion": (inputs) => {
    const token = "aws:rds/getEngineVersion:getEngineVersion";
    const engine = String(inputs.engine);
    const wanted = str(inputs.version);
    let found =
      engine === "postgres"
        ? postgresVersions().filter((v) => !wanted || v === wanted || v.startsWith(`${wanted}.`))
        : [];
    if (inputs.defaultOnly === true)
      found = found.filter((v) => Object.values(POSTGRES_DEFAULTS).includes(v));
    if (found.length === 0) {
      throw providerError(
        token,
        `no RDS engine versions found: {Engine: ${engine}, EngineVersion: ${wanted}}`,
      );
    }
    if (found.length > 1 && inputs.latest !== true) {
      throw providerError(token, `multiple RDS engine versions (${found.join(", ")}) match the criteria`);
    }
    const version = found[found.length - 1];
    const major = version.split(".")[0];
    return {
      id: version,
      engine,
      version,
      versionActual: version,
      versionDescription: `PostgreSQL ${version}-R1`,
      engineDescription: "PostgreSQL",
      parameterGroupFamily: `postgres${major}`,
      status: "available",
      defaultCharacterSet: "",
      exportableLogTypes: ["postgresql", "upgrade"],
      supportsLogExportsToCloudwatch: true,
      supportsReadReplica: true,
      supportedFeatureNames: ["Lambda", "s3Export", "s3Import"],
      validUpgradeTargets: [],
      validMajorTargets: [],
      validMinorTargets: [],
      region: "sa-east-1",
    };
  },

  // DescribeOrderableDBInstanceOptions, then the provider's filters and selection.
  "aws:rds/getOrderableDbInstance:getOrderableDbInstance": (inputs) => {
    const options =
      String(inputs.engine) === "postgres"
        ? postgresVersions().flatMap((engineVersion) =>
            RDS_CLASSES.map((instanceClass) => ({
              engine: "postgres",
              engineVersion,
              instanceClass,
              storageType: "gp3",
              vpc: true,
              multiAzCapable: true,
              readReplicaCapable: true,
              supportsStorageEncryption: true,
              supportsIamDatabaseAuthentication: true,
              supportsPerformanceInsights: !NO_PERFORMANCE_INSIGHTS.has(instanceClass),
              supportsStorageAutoscaling: true,
              availabilityZones: ZONES,
              minStorageSize: 20,
              maxStorageSize: 65536,
              licenseModel: "postgresql-license",
            })),
          )
        : [];
    const found = options.filter(
      (o) =>
        (inputs.engineVersion === undefined || o.engineVersion === inputs.engineVersion) &&
        (inputs.instanceClass === undefined || o.instanceClass === inputs.instanceClass) &&
        (inputs.storageType === undefined || o.storageType === inputs.storageType),
    );
    const preferred = (inputs.preferredInstanceClasses ?? []) as string[];
    const chosen = preferred.length ? found.filter((o) => o.instanceClass === preferred[0]) : found;
    if (chosen.length === 0) {
      throw providerError(
        "aws:rds/getOrderableDbInstance:getOrderableDbInstance",
        "no RDS Orderable DB Instance Options found matching criteria; try different search",
      );
    }
    return { id: chosen[0].instanceClass, region: "sa-east-1", ...chosen[0] };
  },

  "aws:elasticache/getReservedCacheNodeOffering:getReservedCacheNodeOffering": (inputs) => {
    const cacheNodeType = String(inputs.cacheNodeType);
    const known =
      CACHE_NODE_TYPES.includes(cacheNodeType) &&
      ["redis", "valkey", "memcached"].includes(String(inputs.productDescription)) &&
      ["P1Y", "P3Y"].includes(String(inputs.duration)) &&
      ["No Upfront", "Partial Upfront", "All Upfront"].includes(String(inputs.offeringType));
    if (!known) {
      throw providerError(
        "aws:elasticache/getReservedCacheNodeOffering:getReservedCacheNodeOffering",
        "reading ElastiCache Reserved Cache Node Offering: empty result",
      );
    }
    return {
      cacheNodeType,
      duration: inputs.duration,
      offeringType: inputs.offeringType,
      productDescription: inputs.productDescription,
      fixedPrice: 0,
      offeringId: `mock-${cacheNodeType}`,
      region: "sa-east-1",
    };
  },
};

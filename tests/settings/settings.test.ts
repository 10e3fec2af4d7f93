import { ConfigError, parseSettings } from "../../settings";
import { type ConfigOverride, readStackConfig } from "../../tools/engine/stackConfig";
import { problemsOf, settingsOf } from "../harness/settings";

// Every malformed config must stop the program with ONE message that names the stack, the key
// path, the bad value and what is allowed. These run the real parser on the real stack files
// with one key changed, as `pulumi config set` would.

const prod = () => readStackConfig("production").config;
const structured = (stack: string, key: string) =>
  JSON.parse(readStackConfig(stack).config[`healthflow:${key}`]);
const withApp = (stack: string, app: string, patch: (a: Record<string, unknown>) => void) => {
  const apps = structured(stack, "apps");
  patch(apps[app]);
  return { apps };
};

describe("settings: the real stack files", () => {
  test.each(["dev", "staging", "production"])("%s parses", (stack) => {
    const settings = settingsOf(stack);
    expect(settings.stack).toBe(stack);
    expect(settings.environment).toBe(stack);
  });

  test("only production protects stateful resources; only dev is local", () => {
    expect(
      [settingsOf("dev"), settingsOf("staging"), settingsOf("production")].map((s) => [s.protect, s.isLocal]),
    ).toEqual([
      [false, true],
      [false, false],
      [true, false],
    ]);
  });

  test("production is sized to the guide: api HPA bounds, resources, Multi-AZ, 35-day backups", () => {
    const s = settingsOf("production");
    expect(s.apps.api.autoscaling).toMatchObject({
      maxReplicas: 10,
      cpuUtilization: 70,
      memoryUtilization: 80,
    });
    expect(s.apps.api.resources).toEqual({
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "2000m", memory: "2Gi" },
    });
    expect(s.database).toMatchObject({ multiAz: true, backupRetentionDays: 35 });
    expect(prod()["healthflow:aws"]).toContain("sa-east-1");
  });

  test("shared edge rules come from Pulumi.yaml's default (the guide's nginx limits)", () => {
    expect(settingsOf("staging").edge.rateLimits).toEqual({
      general: { requestsPerSecond: 100, burst: 50 },
      auth: { path: "/api/v1/auth", requestsPerMinute: 10, burst: 5 },
    });
  });
});

describe("settings: malformed config", () => {
  const cases: [string, string, Record<string, ConfigOverride>, RegExp[]][] = [
    [
      "missing environment",
      "dev",
      { "healthflow:environment": null },
      [/healthflow:environment = \(not set\): is required/],
    ],
    [
      "unknown environment",
      "dev",
      { "healthflow:environment": "qa" },
      [/healthflow:environment = "qa": must be one of: "dev", "staging", "production"/],
    ],
    [
      "missing section",
      "staging",
      { "healthflow:database": null },
      [/healthflow:database = \(not set\): is required for environment "staging"/],
    ],
    [
      "missing nested key",
      "production",
      withApp("production", "api", (a) => delete a.resources),
      [/healthflow:apps\.api\.resources = \(not set\): is required/],
    ],
    [
      "wrong type (string for number)",
      "production",
      withApp("production", "web", (a) => ((a.autoscaling as Record<string, unknown>).maxReplicas = "six")),
      [/healthflow:apps\.web\.autoscaling\.maxReplicas = "six": must be a number/],
    ],
    [
      "wrong type (object expected)",
      "staging",
      { "healthflow:network": "10.0.0.0/16" },
      [/healthflow:network = "10\.0\.0\.0\/16": must be an object/],
    ],
    [
      "zero replicas",
      "production",
      withApp("production", "worker", (a) => ((a.autoscaling as Record<string, unknown>).minReplicas = 0)),
      [/healthflow:apps\.worker\.autoscaling\.minReplicas = 0: must be >= 1/],
    ],
    [
      "negative replicas",
      "staging",
      withApp("staging", "api", (a) => ((a.autoscaling as Record<string, unknown>).maxReplicas = -3)),
      [/healthflow:apps\.api\.autoscaling\.maxReplicas = -3: must be >= 1/],
    ],
    [
      "min > max",
      "production",
      withApp("production", "api", (a) => ((a.autoscaling as Record<string, unknown>).minReplicas = 12)),
      [/healthflow:apps\.api\.autoscaling\.minReplicas = 12: must be <= autoscaling\.maxReplicas \(10\)/],
    ],
    [
      "latest tag in production",
      "production",
      withApp("production", "api", (a) => (a.image = "ghcr.io/kallebyx/healthflow-api:latest")),
      [
        /healthflow:apps\.api\.image = "ghcr\.io\/kallebyx\/healthflow-api:latest": must not use the `latest` tag/,
      ],
    ],
    [
      "untagged image in staging",
      "staging",
      withApp("staging", "web", (a) => (a.image = "ghcr.io/kallebyx/healthflow-web")),
      [/healthflow:apps\.web\.image = .*: must carry an exact tag or a digest/],
    ],
    [
      "empty image",
      "production",
      withApp("production", "worker", (a) => (a.image = "")),
      [/healthflow:apps\.worker\.image = "": must not be empty/],
    ],
    [
      "malformed CIDR",
      "production",
      { "healthflow:network": { ...structured("production", "network"), cidr: "10.40.0.0/33" } },
      [/healthflow:network\.cidr = "10\.40\.0\.0\/33": must be an IPv4 CIDR block/],
    ],
    [
      "CIDR with host bits",
      "staging",
      {
        "healthflow:cluster": { ...structured("staging", "cluster"), publicAccessCidrs: ["203.0.113.7/24"] },
      },
      [/healthflow:cluster\.publicAccessCidrs\[0\] = "203\.0\.113\.7\/24": has host bits set/],
    ],
    [
      "malformed hostname",
      "production",
      { "healthflow:dns": { ...structured("production", "dns"), appHost: "App_Site" } },
      [/healthflow:dns\.appHost = "App_Site": must be a lower-case DNS name/],
    ],
    [
      "host two labels deep (no Universal SSL)",
      "staging",
      {
        "healthflow:dns": { ...structured("staging", "dns"), apiHost: "api.x.healtflow-staging.com.br" },
      },
      [/healthflow:dns\.apiHost = .*: must be one label below healtflow-staging\.com\.br/],
    ],
    [
      "the old ownsRulesets key (one owner now holds settings and rulesets alike)",
      "production",
      {
        "healthflow:dns": {
          ...structured("production", "dns"),
          cloudflare: { ownsRulesets: true, acmeChallengeZone: "healtflow-acme.com.br" },
        },
      },
      [
        /healthflow:dns\.cloudflare\.ownsRulesets = true: is not a known key; allowed: ownsZone, sharedWith, acmeChallengeZone/,
        /healthflow:dns\.cloudflare\.ownsZone = \(not set\): is required \(boolean\)/,
      ],
    ],
    [
      "sharedWith on a stack that does not own its zone",
      "staging",
      {
        "healthflow:dns": {
          ...structured("staging", "dns"),
          cloudflare: {
            ...structured("staging", "dns").cloudflare,
            ownsZone: false,
            sharedWith: [
              { appHost: "app.healtflow-staging.com.br", apiHost: "x.healtflow-staging.com.br" },
              { appHost: "y.healtflow-staging.com.br", apiHost: "api.healtflow-staging.com.br" },
            ],
          },
        },
      },
      [
        /healthflow:dns\.cloudflare\.sharedWith = .*: must be absent: only the stack that owns the zone \(ownsZone: true\) lists the stacks sharing it/,
        /healthflow:dns\.cloudflare\.sharedWith\[0\]\.appHost = "app\.healtflow-staging\.com\.br": must be another stack's host/,
        /healthflow:dns\.cloudflare\.sharedWith\[1\]\.apiHost = "api\.healtflow-staging\.com\.br": must be another stack's host/,
      ],
    ],
    [
      "ACME challenge zone that is the stack's zone or inside it",
      "production",
      {
        "healthflow:dns": {
          ...structured("production", "dns"),
          cloudflare: { ownsZone: true, acmeChallengeZone: "acme.healtflow.com.br" },
        },
      },
      [
        /healthflow:dns\.cloudflare\.acmeChallengeZone = "acme\.healtflow\.com\.br": must be a zone of its own outside healtflow\.com\.br: cert-manager's token may edit the challenge zone/,
      ],
    ],
    [
      "ACME challenge zone that is the stack's zone itself",
      "production",
      {
        "healthflow:dns": {
          ...structured("production", "dns"),
          cloudflare: { ownsZone: true, acmeChallengeZone: "healtflow.com.br" },
        },
      },
      [
        /healthflow:dns\.cloudflare\.acmeChallengeZone = "healtflow\.com\.br": must be a zone of its own outside healtflow\.com\.br/,
      ],
    ],
    [
      // Universal SSL's certificate covers the zone's apex and one level below (*.zone), no deeper.
      "hosts of the stacks sharing the zone that lie outside it or two labels below",
      "production",
      {
        "healthflow:dns": {
          ...structured("production", "dns"),
          cloudflare: {
            ...structured("production", "dns").cloudflare,
            sharedWith: [{ appHost: "app.evilhealtflow.com.br", apiHost: "api.staging.healtflow.com.br" }],
          },
        },
      },
      [
        /healthflow:dns\.cloudflare\.sharedWith\[0\]\.appHost = "app\.evilhealtflow\.com\.br": must be inside the zone healtflow\.com\.br/,
        /healthflow:dns\.cloudflare\.sharedWith\[0\]\.apiHost = "api\.staging\.healtflow\.com\.br": must be one label below healtflow\.com\.br: Cloudflare's Universal SSL covers \*\.healtflow\.com\.br only/,
      ],
    ],
    [
      "ACME challenge zone that contains the stack's zone",
      "production",
      {
        "healthflow:dns": {
          ...structured("production", "dns"),
          cloudflare: { ownsZone: true, acmeChallengeZone: "com.br" },
        },
      },
      [
        /healthflow:dns\.cloudflare\.acmeChallengeZone = "com\.br": must not contain the stack's zone healtflow\.com\.br/,
      ],
    ],
    [
      "cloud stack without its Cloudflare section",
      "staging",
      { "healthflow:dns": { ...structured("staging", "dns"), cloudflare: undefined } },
      [
        /healthflow:dns\.cloudflare = \(not set\): is required for environment "staging" \(Cloudflare: does this stack own the zone's settings and rulesets, and which zone answers its ACME challenges\?\)/,
      ],
    ],
    [
      "malformed cron",
      "production",
      { "healthflow:backups": { schedule: "0 25 * * *", retentionDays: 90 } },
      [/healthflow:backups\.schedule = "0 25 \* \* \*": has an invalid hour field "25"/],
    ],
    [
      "cron with too few fields",
      "dev",
      { "healthflow:backups": { schedule: "daily", retentionDays: 7 } },
      [/healthflow:backups\.schedule = "daily": must be a cron schedule with 5 fields/],
    ],
    [
      "plain-text secret",
      "production",
      { "healthflow:alertHeartbeatUrl": "https://hc-ping.com/0f1e2d3c" },
      [
        /healthflow:alertHeartbeatUrl = \(a plain-text value, not shown\): is stored in plain text; it must be a secret: pulumi config set --secret/,
      ],
    ],
    [
      "unknown top-level key (typo)",
      "dev",
      { "healthflow:enviroment": "dev" },
      [/healthflow:enviroment = "dev": is not a known key \(did you mean healthflow:environment\?\)/],
    ],
    [
      "unknown nested key (typo)",
      "production",
      withApp("production", "api", (a) => (a.replcas = 3)),
      [
        /healthflow:apps\.api\.replcas = 3: is not a known key \(did you mean resources\?|healthflow:apps\.api\.replcas = 3: is not a known key/,
      ],
    ],
    [
      // CloudWatch Logs takes only its own list of retentions (PutRetentionPolicy): a year is 365,
      // 366 is refused by AWS after the settings passed, and 0 would keep the logs forever.
      "log retentions CloudWatch Logs does not accept",
      "production",
      {
        "healthflow:network": { ...structured("production", "network"), flowLogRetentionDays: 366 },
        "healthflow:cluster": { ...structured("production", "cluster"), logRetentionDays: 0 },
        "healthflow:database": { ...structured("production", "database"), logRetentionDays: 10 },
      },
      [
        /healthflow:network\.flowLogRetentionDays = 366: must be one of the retentions CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653/,
        /healthflow:cluster\.logRetentionDays = 0: must be one of the retentions/,
        /healthflow:database\.logRetentionDays = 10: must be one of the retentions/,
      ],
    ],
    [
      "runners with a token for a connection, a URL for the repository, and no section at all",
      "production",
      {
        "healthflow:runners": {
          ...structured("production", "runners"),
          repository: "https://github.com/kallebyx/healthflow-infra",
          connectionArn: "ghp_0123456789abcdef0123456789abcdef0123",
        },
      },
      [
        /healthflow:runners\.repository = "https:\/\/github\.com\/kallebyx\/healthflow-infra": must be a GitHub repository, owner\/name/,
        /healthflow:runners\.connectionArn = .*: must be the ARN of a CodeConnections connection/,
      ],
    ],
    [
      "a cloud stack without runners",
      "staging",
      { "healthflow:runners": null },
      [/healthflow:runners = \(not set\): is required for environment "staging"/],
    ],
    [
      "an audit trail shorter than the backups, and unlocked in production",
      "production",
      {
        "healthflow:audit": {
          ...structured("production", "audit"),
          retentionDays: 90,
          lockMode: "GOVERNANCE",
        },
      },
      [
        /healthflow:audit\.retentionDays = 90: must be at least backups\.retentionDays \(365\): the record of who read a backup must last as long as the backup/,
        /healthflow:audit\.lockMode = "GOVERNANCE": must be "COMPLIANCE" in production: under GOVERNANCE an administrator can shorten the lock and delete the audit trail/,
      ],
    ],
    [
      "access logs kept less than the Marco Civil's six months in production",
      "production",
      {
        "healthflow:audit": {
          ...structured("production", "audit"),
          containerLogs: { chartVersion: "0.58.1", imageTag: "5.1.1", retentionDays: 150 },
        },
      },
      [
        /healthflow:audit\.containerLogs\.retentionDays = 150: must be 180 or more in production: the Marco Civil da Internet \(Lei 12\.965\/2014, art\. 15\) requires an application's access logs for six months/,
      ],
    ],
    [
      "a container-log retention CloudWatch Logs does not offer, and a floating chart version",
      "staging",
      {
        "healthflow:audit": {
          ...structured("staging", "audit"),
          containerLogs: { chartVersion: "latest", imageTag: "5.1", retentionDays: 45 },
        },
      },
      [
        /healthflow:audit\.containerLogs\.chartVersion = "latest": must be an exact chart version such as 0\.58\.1/,
        /healthflow:audit\.containerLogs\.imageTag = "5\.1": must be a Fluent Bit release such as 5\.1\.1/,
        /healthflow:audit\.containerLogs\.retentionDays = 45: must be one of the retentions CloudWatch Logs accepts/,
      ],
    ],
    [
      "a Fluent Bit too old for EKS Pod Identity",
      "staging",
      {
        "healthflow:audit": {
          ...structured("staging", "audit"),
          containerLogs: { chartVersion: "0.58.1", imageTag: "3.2.10", retentionDays: 30 },
        },
      },
      [
        /healthflow:audit\.containerLogs\.imageTag = "3\.2\.10": must be Fluent Bit 4\.0\.0 or later, the first major whose every release reads EKS Pod Identity's credentials/,
      ],
    ],
    [
      "a restore drill less often than weekly",
      "production",
      {
        "healthflow:backups": {
          ...structured("production", "backups"),
          drill: { schedule: "0 5 1 * *", scratchGiB: 600 },
        },
      },
      [
        /healthflow:backups\.drill\.schedule = "0 5 1 \* \*": must run at least once a week \(day of month and month `\*`\): the RestoreDrillMissing alert expects a successful drill within 8 days/,
      ],
    ],
    [
      "region outside Brazil",
      "production",
      { "healthflow:aws": { region: "us-east-1" } },
      [/healthflow:aws\.region = "us-east-1": must be "sa-east-1"/],
    ],
    [
      "limit below request",
      "staging",
      withApp(
        "staging",
        "api",
        (a) => ((a.resources as { limits: Record<string, string> }).limits.memory = "256Mi"),
      ),
      [/healthflow:apps\.api\.resources\.limits\.memory = "256Mi": must be >= requests\.memory \(512Mi\)/],
    ],
    [
      "CPU limit below request",
      "production",
      withApp(
        "production",
        "worker",
        (a) => ((a.resources as { limits: Record<string, string> }).limits.cpu = "100m"),
      ),
      [/healthflow:apps\.worker\.resources\.limits\.cpu = "100m": must be >= requests\.cpu \(500m\)/],
    ],
    [
      "a backup image on `latest`",
      "staging",
      {
        "healthflow:backups": {
          ...structured("staging", "backups"),
          images: { ...structured("staging", "backups").images, awsCli: "amazon/aws-cli:latest" },
        },
      },
      [
        /healthflow:backups\.images\.awsCli = "amazon\/aws-cli:latest": must not use the `latest` tag in staging or production/,
      ],
    ],
    [
      "web without a port",
      "staging",
      withApp("staging", "web", (a) => delete a.port),
      [/healthflow:apps\.web\.port = \(not set\): is required: the web and api apps listen on a port/],
    ],
    [
      "dev without its local Docker settings",
      "dev",
      { "healthflow:local": null },
      [/healthflow:local = \(not set\): is required for environment "dev" \(the local Docker stack\)/],
    ],
    [
      "a host outside the zone",
      "production",
      { "healthflow:dns": { ...structured("production", "dns"), apiHost: "api.healthflow.io" } },
      [/healthflow:dns\.apiHost = "api\.healthflow\.io": must be inside the zone healtflow\.com\.br/],
    ],
    [
      "a VPC block too small for the subnet layout",
      "staging",
      { "healthflow:network": { ...structured("staging", "network"), cidr: "10.41.0.0/22" } },
      [
        /healthflow:network\.cidr = "10\.41\.0\.0\/22": must be a \/16 to \/20 block \(the subnet layout needs room\)/,
      ],
    ],
    [
      "an instance type the capacity table does not know, and one of the wrong architecture",
      "production",
      {
        "healthflow:cluster": {
          ...structured("production", "cluster"),
          nodeGroups: [
            {
              ...structured("production", "cluster").nodeGroups[0],
              instanceTypes: ["m5.large", "m7i.xlarge"],
            },
          ],
        },
      },
      [
        /healthflow:cluster\.nodeGroups\[0\]\.instanceTypes\[0\] = "m5\.large": is not in the capacity table \(settings\/catalog\/instances\.ts\); known: t4g\.medium, /,
        /healthflow:cluster\.nodeGroups\[0\]\.instanceTypes\[1\] = "m7i\.xlarge": is x86_64, but the group's architecture is arm64/,
      ],
    ],
    [
      "storage autoscaling below the allocated size",
      "production",
      { "healthflow:database": { ...structured("production", "database"), maxAllocatedStorageGiB: 400 } },
      [
        /healthflow:database\.maxAllocatedStorageGiB = 400: must be >= allocatedStorageGiB \(500\) for storage autoscaling/,
      ],
    ],
    [
      "production's automated backups kept less than RDS's longest",
      "production",
      { "healthflow:database": { ...structured("production", "database"), backupRetentionDays: 34 } },
      [/healthflow:database\.backupRetentionDays = 34: must be 35 in production/],
    ],
    [
      "a cache failover with one node",
      "production",
      { "healthflow:cache": { ...structured("production", "cache"), nodes: 1 } },
      [/healthflow:cache\.nodes = 1: must be >= 2 when automaticFailover is on/],
    ],
    [
      "production's cache without failover",
      "production",
      { "healthflow:cache": { ...structured("production", "cache"), automaticFailover: false } },
      [/healthflow:cache\.automaticFailover = false: must be true in production/],
    ],
    [
      "ingress controller bounds and limits inverted",
      "staging",
      {
        "healthflow:ingress": {
          ...structured("staging", "ingress"),
          controller: {
            ...structured("staging", "ingress").controller,
            minReplicas: 4,
            resources: {
              requests: { cpu: "100m", memory: "128Mi" },
              limits: { cpu: "500m", memory: "64Mi" },
            },
          },
        },
      },
      [
        /healthflow:ingress\.controller\.minReplicas = 4: must be <= maxReplicas \(3\)/,
        /healthflow:ingress\.controller\.resources\.limits = \{"cpu":"500m","memory":"64Mi"\}: must be >= requests \(100m CPU, 128Mi\)/,
      ],
    ],
    [
      "a Cloudflare plan that cannot run the edge",
      "staging",
      { "healthflow:edge": { ...structured("staging", "edge"), cloudflarePlan: "free" } },
      [
        /healthflow:edge\.cloudflarePlan = "free": must be "pro" or higher: the Cloudflare Managed Ruleset/,
        /healthflow:edge\.rateLimits = .*: need Cloudflare "pro" or higher/,
      ],
    ],
    [
      "malformed CPU quantity",
      "production",
      withApp(
        "production",
        "web",
        (a) => ((a.resources as { requests: Record<string, string> }).requests.cpu = "lots"),
      ),
      [/healthflow:apps\.web\.resources\.requests\.cpu = "lots": must be a CPU quantity/],
    ],
    [
      "port out of range",
      "dev",
      {
        "healthflow:local": {
          ...structured("dev", "local"),
          ports: { ...structured("dev", "local").ports, postgres: 70000 },
        },
      },
      [/healthflow:local\.ports\.postgres = 70000: must be <= 65535/],
    ],
    [
      "production without Multi-AZ",
      "production",
      { "healthflow:database": { ...structured("production", "database"), multiAz: false } },
      [/healthflow:database\.multiAz = false: must be true in production/],
    ],
    [
      // The Kubernetes version skew policy: a kubelet is never newer than the API server, and EKS
      // upgrades the control plane one minor at a time; the nodes and the autoscaler follow it.
      "kubernetesVersion changed alone: the node releases and the autoscaler image must follow",
      "production",
      { "healthflow:cluster": { ...structured("production", "cluster"), kubernetesVersion: "1.36" } },
      [
        /healthflow:cluster\.nodeGroups\[0\]\.releaseVersion = "1\.35\.\d+-\d{8}": must be a release for Kubernetes 1\.36, the cluster's version: the nodes follow the control plane/,
        /healthflow:cluster\.autoscaler\.imageTag = "v1\.35\.\d+": must be a v1\.36\.x release: the Cluster Autoscaler's minor is the cluster's/,
        /healthflow:cluster\.addons\.kubeProxy = "v1\.35\.[\w.-]+": must be a v1\.36\.x build/,
      ],
    ],
    [
      "node AMI release not in EKS's release format",
      "production",
      {
        "healthflow:cluster": {
          ...structured("production", "cluster"),
          nodeGroups: [{ ...structured("production", "cluster").nodeGroups[0], releaseVersion: "v20260714" }],
        },
      },
      [
        /healthflow:cluster\.nodeGroups\[0\]\.releaseVersion = "v20260714": must be an EKS-optimized AL2023 AMI release such as 1\.35\.6-20260714/,
      ],
    ],
    [
      // EKS caps a node group's name at 63 characters; the program adds the zone's letter between
      // dashes and EKS a dash and a 26-character suffix: 34 + 3 + 26 = 63.
      "node group name too long for EKS with the zone and EKS's suffix",
      "production",
      {
        "healthflow:cluster": {
          ...structured("production", "cluster"),
          nodeGroups: [{ ...structured("production", "cluster").nodeGroups[0], name: "a".repeat(35) }],
        },
      },
      [
        /healthflow:cluster\.nodeGroups\[0\]\.name = "a{35}": must be 1-34 lower-case letters, digits and dashes/,
      ],
    ],
    [
      "node group desired outside bounds",
      "production",
      {
        "healthflow:cluster": {
          ...structured("production", "cluster"),
          nodeGroups: [{ ...structured("production", "cluster").nodeGroups[0], desiredSize: 20 }],
        },
      },
      [
        /healthflow:cluster\.nodeGroups\[0\]\.desiredSize = 20: must satisfy minSize \(3\) <= desiredSize <= maxSize \(5\)/,
      ],
    ],
    [
      "unsupported Kubernetes version",
      "staging",
      { "healthflow:cluster": { ...structured("staging", "cluster"), kubernetesVersion: "1.27" } },
      [/healthflow:cluster\.kubernetesVersion = "1\.27": must be an EKS version in standard support/],
    ],
    [
      "production backups without COMPLIANCE lock",
      "production",
      {
        "healthflow:backups": {
          ...structured("production", "backups"),
          objectLock: { mode: "GOVERNANCE", days: 35 },
        },
      },
      [/healthflow:backups\.objectLock\.mode = "GOVERNANCE": must be "COMPLIANCE" in production/],
    ],
    [
      "lock longer than retention",
      "staging",
      {
        "healthflow:backups": {
          ...structured("staging", "backups"),
          objectLock: { mode: "GOVERNANCE", days: 400 },
        },
      },
      [/healthflow:backups\.objectLock\.days = 400: must be <= backups\.retentionDays \(180\)/],
    ],
    [
      "cloud stack without backup images",
      "staging",
      { "healthflow:backups": { ...structured("staging", "backups"), images: undefined } },
      [/healthflow:backups\.images = \(not set\): is required for environment "staging"/],
    ],
    [
      "node groups too small for the HPAs at their maximum",
      "production",
      {
        "healthflow:cluster": {
          ...structured("production", "cluster"),
          nodeGroups: [
            { ...structured("production", "cluster").nodeGroups[0], minSize: 1, desiredSize: 1, maxSize: 1 },
          ],
        },
      },
      [
        /healthflow:cluster\.nodeGroups = \["1 x m7g\.large per zone"\]: cannot hold the apps at every HPA's maximum with 25% headroom in each of 3 zones/,
      ],
    ],
    [
      "archive tier before 30 days in Standard-IA (S3 refuses the rule)",
      "staging",
      {
        "healthflow:backups": {
          ...structured("staging", "backups"),
          tiering: { infrequentAccessAfterDays: 30, archiveAfterDays: 50 },
        },
      },
      [
        /healthflow:backups\.tiering = \{"infrequentAccessAfterDays":30,"archiveAfterDays":50\}: must satisfy infrequentAccessAfterDays \+ 30 <= archiveAfterDays/,
      ],
    ],
    [
      "a pinned PostgreSQL minor version (RDS forces minor upgrades)",
      "production",
      { "healthflow:database": { ...structured("production", "database"), engineVersion: "16.10" } },
      [/healthflow:database\.engineVersion = "16\.10": must be a PostgreSQL major version such as 16/],
    ],
    [
      "a pg_dump of another major than the database",
      "production",
      { "healthflow:database": { ...structured("production", "database"), engineVersion: "17" } },
      [/healthflow:backups\.images\.postgres = "postgres:16\.10-alpine": must carry PostgreSQL 17's pg_dump/],
    ],
    [
      "kube-proxy of another Kubernetes minor",
      "staging",
      {
        "healthflow:cluster": {
          ...structured("staging", "cluster"),
          addons: { ...structured("staging", "cluster").addons, kubeProxy: "v1.34.3-eksbuild.9" },
        },
      },
      [/healthflow:cluster\.addons\.kubeProxy = "v1\.34\.3-eksbuild\.9": must be a v1\.35\.x build/],
    ],
    [
      "invalid JSON in a structured key",
      "dev",
      { "healthflow:monitoring": "{retention: 3" },
      [/healthflow:monitoring = "\{retention: 3": must be an object/],
    ],
  ];

  test.each(cases)("%s", (_title, stack, overrides, expected) => {
    const message = problemsOf(stack, overrides);
    for (const pattern of expected) expect(message).toMatch(pattern);
  });

  test("a 34-character node group name, the longest EKS takes with the zone and its suffix, is accepted", () => {
    const name = "a".repeat(34);
    const cluster = structured("production", "cluster");
    const settings = settingsOf("production", {
      "healthflow:cluster": { ...cluster, nodeGroups: [{ ...cluster.nodeGroups[0], name }] },
    });
    expect(settings.cluster?.nodeGroups[0].name).toBe(name);
    expect(`${name}-a-`.length + 26).toBe(63);
  });

  test("the stacks sharing the zone may use its apex and any host one label below it", () => {
    const dns = structured("production", "dns");
    const shared = { appHost: "healtflow.com.br", apiHost: "api-staging.healtflow.com.br" };
    const settings = settingsOf("production", {
      "healthflow:dns": { ...dns, cloudflare: { ...dns.cloudflare, sharedWith: [shared] } },
    });
    expect(settings.dns.cloudflare?.sharedWith).toEqual([shared]);
  });

  test("several problems come in one message, one line each", () => {
    const message = problemsOf("production", {
      "healthflow:environment": "prod",
      "healthflow:aws": { region: "eu-west-1" },
      "healthflow:backups": { ...structured("production", "backups"), schedule: "* * *", retentionDays: 0 },
    });
    expect(message).toMatch(/has 4 configuration problems; nothing was created or changed/);
    expect(message.split("\n").filter((l) => l.startsWith("  - "))).toHaveLength(4);
    expect(message).toMatch(/Fix them in Pulumi\.production\.yaml/);
  });

  test("a secret stored encrypted is accepted and stays a secret", async () => {
    const settings = settingsOf("production", {
      "healthflow:alertReceiverSecret": { secret: "0123456789abcdef0123456789ABCDEF" },
      "healthflow:alertHeartbeatUrl": { secret: "https://hc-ping.com/0f1e2d3c" },
    });
    for (const key of ["alertReceiverSecret", "alertHeartbeatUrl"] as const) {
      expect(settings.secrets[key]).toBeDefined();
      expect(await (settings.secrets[key] as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
      expect(JSON.stringify(Object.keys(settings))).not.toContain(key);
    }
  });

  test("a malformed secret is refused without echoing it", () => {
    const leaked = "hc-ping.com/not-a-url-and-secret";
    const message = problemsOf("staging", { "healthflow:alertHeartbeatUrl": { secret: leaked } });
    expect(message).toMatch(
      /healthflow:alertHeartbeatUrl = \(a plain-text value, not shown\): must be an https:\/\/ URL/,
    );
    expect(message).not.toContain("not-a-url-and-secret");
  });

  test("deploying production without an alert receiver and a heartbeat is refused; a preview goes on", () => {
    const { config, secretKeys } = readStackConfig("production");
    const values = Object.fromEntries(
      Object.entries(config)
        .filter(([k]) => k.startsWith("healthflow:"))
        .map(([k, v]) => [k.slice("healthflow:".length), v]),
    );
    values.cloudflareDnsToken = "token";
    const keys = new Set([...secretKeys, "healthflow:cloudflareDnsToken"]);
    expect(() =>
      parseSettings({ stack: "production", values, secretKeys: keys, updating: false }),
    ).not.toThrow();
    const update = () => parseSettings({ stack: "production", values, secretKeys: keys, updating: true });
    expect(update).toThrow(
      /healthflow:alertReceiverSecret = \(not set\): is required to deploy production \(Alertmanager would page no one\)/,
    );
    expect(update).toThrow(
      /healthflow:alertHeartbeatUrl = \(not set\): is required to deploy production \(nothing would notice Prometheus or Alertmanager going down\)/,
    );
    values.alertReceiverSecret = "0123456789abcdef0123456789ABCDEF";
    values.alertHeartbeatUrl = "https://hc-ping.com/0f1e2d3c";
    keys.add("healthflow:alertReceiverSecret").add("healthflow:alertHeartbeatUrl");
    // What is left to refuse is the stack file's placeholders (placeholders.test.ts), not the alerting.
    expect(update).not.toThrow(/alertReceiverSecret|alertHeartbeatUrl/);
    expect(update).toThrow(/is a placeholder/);
  });

  test("dev may use `latest`; staging and production may not", () => {
    const latest = (stack: string) =>
      withApp(stack, "web", (a) => (a.image = "ghcr.io/kallebyx/healthflow-web:latest"));
    expect(() => settingsOf("dev", latest("dev"))).not.toThrow();
    expect(() => settingsOf("staging", latest("staging"))).toThrow(ConfigError);
  });
});

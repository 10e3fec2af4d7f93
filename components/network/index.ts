import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { accountId } from "../aws/kms";
import { encryptedLogGroup } from "../aws/logs";
import { subnetLayout, zonesOf, ZoneSubnets } from "./layout";

/** What the network of a staging/production stack needs. */
export interface NetworkArgs {
  /** `healthflow:network`: VPC block, zone count, NAT mode, flow-log retention. Required. */
  network: NonNullable<Settings["network"]>;
  /** The AWS region (`healthflow:aws.region`). Required. */
  region: string;
  /** Prefix of names and Name tags, e.g. "healthflow-production". Required. */
  namePrefix: string;
  /** The stack's AWS provider (region and default tags). Required. */
  provider: aws.Provider;
  /** Protect the flow-log key (a key's loss makes its logs unreadable). Default false. */
  protect?: boolean;
}

/**
 * The VPC: public, private and database subnets in each zone, NAT gateways (one, or one per
 * zone), VPC flow logs to a KMS-encrypted log group, an S3 gateway endpoint, and the default
 * security group closed. Plain @pulumi/aws resources, so tests and policies see every one.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  /** The subnet plan, zone by zone. */
  readonly layout: ZoneSubnets[];
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly privateSubnetIds: pulumi.Output<string>[];
  readonly databaseSubnetIds: pulumi.Output<string>[];
  readonly natGatewayCount: number;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:network:Network", name, {}, opts);
    const { network, namePrefix } = args;
    const child = { parent: this, provider: args.provider };
    const tags = (suffix: string, extra: Record<string, string> = {}) => ({
      Name: `${namePrefix}-${suffix}`,
      ...extra,
    });

    this.layout = subnetLayout(network.cidr, zonesOf(args.region, network.availabilityZones));
    this.vpc = new aws.ec2.Vpc(
      "vpc",
      { cidrBlock: network.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") },
      child,
    );
    // No rules at all: nothing may use the default group by accident (CIS AWS 5.4).
    new aws.ec2.DefaultSecurityGroup(
      "default-sg-closed",
      { vpcId: this.vpc.id, tags: tags("default-closed") },
      child,
    );

    const internetGateway = new aws.ec2.InternetGateway(
      "igw",
      { vpcId: this.vpc.id, tags: tags("igw") },
      child,
    );
    const subnet = (kind: keyof Omit<ZoneSubnets, "zone">, z: ZoneSubnets, extra: Record<string, string>) =>
      new aws.ec2.Subnet(
        `${kind}-${z.zone}`,
        {
          vpcId: this.vpc.id,
          cidrBlock: z[kind],
          availabilityZone: z.zone,
          mapPublicIpOnLaunch: false,
          tags: tags(`${kind}-${z.zone}`, { tier: kind, ...extra }),
        },
        child,
      );
    // The tags the AWS Load Balancer Controller and in-tree service controller look for.
    const publicSubnets = this.layout.map((z) => subnet("public", z, { "kubernetes.io/role/elb": "1" }));
    const privateSubnets = this.layout.map((z) =>
      subnet("private", z, { "kubernetes.io/role/internal-elb": "1" }),
    );
    const databaseSubnets = this.layout.map((z) => subnet("database", z, {}));

    const publicRoutes = new aws.ec2.RouteTable(
      "public-rt",
      {
        vpcId: this.vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id }],
        tags: tags("public"),
      },
      child,
    );
    publicSubnets.forEach(
      (s, i) =>
        new aws.ec2.RouteTableAssociation(
          `public-rta-${this.layout[i].zone}`,
          { subnetId: s.id, routeTableId: publicRoutes.id },
          child,
        ),
    );

    this.natGatewayCount = network.natGateways === "perAz" ? this.layout.length : 1;
    const natGateways = this.layout.slice(0, this.natGatewayCount).map((z, i) => {
      const eip = new aws.ec2.Eip(`nat-eip-${z.zone}`, { domain: "vpc", tags: tags(`nat-${z.zone}`) }, child);
      return new aws.ec2.NatGateway(
        `nat-${z.zone}`,
        {
          allocationId: eip.id,
          subnetId: publicSubnets[i].id,
          connectivityType: "public",
          tags: tags(`nat-${z.zone}`),
        },
        { ...child, dependsOn: [internetGateway] },
      );
    });
    const privateRouteTables = this.layout.map((z, i) => {
      const nat = natGateways[Math.min(i, natGateways.length - 1)];
      const table = new aws.ec2.RouteTable(
        `private-rt-${z.zone}`,
        {
          vpcId: this.vpc.id,
          routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
          tags: tags(`private-${z.zone}`),
        },
        child,
      );
      new aws.ec2.RouteTableAssociation(
        `private-rta-${z.zone}`,
        { subnetId: privateSubnets[i].id, routeTableId: table.id },
        child,
      );
      return table;
    });
    // Database subnets only ever talk inside the VPC: their table has the local route alone.
    const databaseRoutes = new aws.ec2.RouteTable(
      "database-rt",
      { vpcId: this.vpc.id, tags: tags("database") },
      child,
    );
    databaseSubnets.forEach(
      (s, i) =>
        new aws.ec2.RouteTableAssociation(
          `database-rta-${this.layout[i].zone}`,
          { subnetId: s.id, routeTableId: databaseRoutes.id },
          child,
        ),
    );

    // S3 traffic (uploads, backups) stays on AWS's network and costs no NAT processing.
    new aws.ec2.VpcEndpoint(
      "s3-endpoint",
      {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: [...privateRouteTables.map((t) => t.id), databaseRoutes.id],
        tags: tags("s3"),
      },
      child,
    );

    this.createFlowLogs(network.flowLogRetentionDays, args, tags);
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.databaseSubnetIds = databaseSubnets.map((s) => s.id);
    this.registerOutputs({
      vpcId: this.vpc.id,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      databaseSubnetIds: this.databaseSubnetIds,
      natGatewayCount: this.natGatewayCount,
    });
  }

  /** Every accepted and rejected flow, to a log group encrypted with its own rotating key. */
  private createFlowLogs(
    retentionDays: number,
    args: NetworkArgs,
    tags: (s: string) => Record<string, string>,
  ) {
    const child = { parent: this, provider: args.provider };
    const logGroup = encryptedLogGroup("flow", {
      description: `${args.namePrefix} VPC flow`,
      name: `/healthflow/${args.namePrefix}/vpc-flow-logs`,
      retentionDays,
      region: args.region,
      provider: args.provider,
      parent: this,
      protect: args.protect,
    });
    const role = new aws.iam.Role(
      "flow-logs-role",
      {
        // Only this account's flow logs may assume it (confused-deputy protection).
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "vpc-flow-logs.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:SourceAccount": accountId(args.provider) } },
            },
          ],
        }),
        tags: tags("flow-logs"),
      },
      child,
    );
    const write = new aws.iam.RolePolicy(
      "flow-logs-write",
      {
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              Resource: pulumi.interpolate`${logGroup.arn}:*`,
            },
          ],
        }),
      },
      child,
    );
    new aws.ec2.FlowLog(
      "flow-log",
      {
        vpcId: this.vpc.id,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: logGroup.arn,
        iamRoleArn: role.arn,
        maxAggregationInterval: 60,
        tags: tags("flow-log"),
      },
      // After the role may write, not only after the role exists: a flow log whose role cannot yet
      // write delivers nothing and reports "Access error" (VPC user guide, "Troubleshoot VPC Flow
      // Logs": "Incomplete log record" / "LogDestinationPermissionIssueException").
      { ...child, dependsOn: [write] },
    );
  }
}

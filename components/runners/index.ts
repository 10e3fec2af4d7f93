import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { encryptedLogGroup } from "../aws/logs";
import { accountId } from "../aws/kms";

// The CI runners inside the VPC: the deploy, preview and drift jobs of a stack run here, so they
// reach a cluster whose Kubernetes API is private. AWS CodeBuild hosts them as self-hosted GitHub
// Actions runners: a project whose webhook takes WORKFLOW_JOB_QUEUED events starts one build per
// job that asks for `codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`, and the
// build registers itself as the job's runner ("Self-hosted GitHub Actions runners in AWS CodeBuild",
// CodeBuild user guide; the provider's codebuild/project and codebuild/webhook docs, @pulumi/aws
// 7.48.0: "no special configuration is required" on the project, the webhook's filter group is).

/** The image of the runners: CodeBuild's curated Amazon Linux 2023 x86_64 image (Node, git, the AWS CLI). */
export const RUNNER_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0";

/**
 * A build's longest run in minutes: the deploy workflow's `timeout-minutes` (120) and the runner's
 * own start (image, registration) on top, so CodeBuild never cuts a job GitHub still allows.
 */
export const RUNNER_TIMEOUT_MINUTES = 135;

/** The label a workflow job's `runs-on` names to run on `project`'s runners. */
export function runnerLabel(project: string): string {
  return `codebuild-${project}-\${{ github.run_id }}-\${{ github.run_attempt }}`;
}

export interface RunnersArgs {
  /** `healthflow:runners`: the repository, the GitHub connection, the machine size, log retention. Required. */
  runners: NonNullable<Settings["runners"]>;
  /** `healthflow-<stack>`: the project is `<namePrefix>-runner`. Required. */
  namePrefix: string;
  region: string;
  vpcId: pulumi.Input<string>;
  /** The private subnets (through the NAT gateways): GitHub, npm and Pulumi Cloud are on the internet. */
  privateSubnetIds: pulumi.Input<string>[];
  provider: aws.Provider;
  /** Production: `protect` on the logs' key and group (records of who deployed what). Default false. */
  protect?: boolean;
}

/**
 * CodeBuild-hosted GitHub Actions runners in the stack's private subnets. Their own role can only
 * run them (write their logs, attach to the VPC, use the GitHub connection): a job acts on AWS by
 * assuming the stack's deploy or preview role through GitHub's OIDC, exactly as on a hosted runner,
 * so which jobs may change the stack is still decided by the roles' trust policies (environments),
 * not by where the job runs.
 */
export class Runners extends pulumi.ComponentResource {
  readonly project: aws.codebuild.Project;
  /** The runners' security group: the cluster admits it on 443. */
  readonly securityGroupId: pulumi.Output<string>;
  /** What a job's `runs-on` names. */
  readonly label: pulumi.Output<string>;

  constructor(name: string, args: RunnersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthflow:runners:Runners", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const projectName = `${args.namePrefix}-runner`;
    const account = accountId(args.provider);
    const projectArn = pulumi.interpolate`arn:aws:codebuild:${args.region}:${account}:project/${projectName}`;

    const group = this.securityGroup(args, child);
    this.securityGroupId = group.id;
    const logGroupName = `/aws/codebuild/${projectName}`;
    const logs = encryptedLogGroup("runner", {
      description: `${projectName} CI jobs`,
      name: logGroupName,
      retentionDays: args.runners.logRetentionDays,
      region: args.region,
      provider: args.provider,
      parent: this,
      protect: args.protect,
    });

    const role = new aws.iam.Role(
      "runner-role",
      {
        description: `CodeBuild service role of ${projectName}: runs the runners, nothing else`,
        // Only this account's project (confused-deputy protection, CodeBuild user guide).
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "codebuild.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:SourceAccount": account, "aws:SourceArn": projectArn } },
            },
          ],
        }),
      },
      child,
    );
    const permissions = new aws.iam.RolePolicy(
      "runner-permissions",
      {
        role: role.id,
        // The group's ARN from its fixed name: the role can be written before the group exists.
        policy: runnerPolicy({
          ...args,
          account,
          logGroupArn: pulumi.interpolate`arn:aws:logs:${args.region}:${account}:log-group:${logGroupName}`,
        }),
      },
      child,
    );

    this.project = new aws.codebuild.Project(
      "runner",
      {
        name: projectName,
        description: `GitHub Actions runners of ${args.runners.repository} inside the VPC of ${args.namePrefix}`,
        serviceRole: role.arn,
        source: {
          type: "GITHUB",
          location: `https://github.com/${args.runners.repository}.git`,
          auth: { type: "CODECONNECTIONS", resource: args.runners.connectionArn },
        },
        artifacts: { type: "NO_ARTIFACTS" },
        environment: {
          type: "LINUX_CONTAINER",
          computeType: args.runners.computeType,
          image: RUNNER_IMAGE,
          imagePullCredentialsType: "CODEBUILD",
        },
        buildTimeout: RUNNER_TIMEOUT_MINUTES,
        vpcConfig: {
          vpcId: args.vpcId,
          subnets: args.privateSubnetIds,
          securityGroupIds: [group.id],
        },
        logsConfig: {
          cloudwatchLogs: { status: "ENABLED", groupName: logs.name },
          s3Logs: { status: "DISABLED" },
        },
      },
      // CodeBuild checks the role's access to the connection and the VPC when the project is created.
      { ...child, dependsOn: [permissions] },
    );
    // One build per queued job that names this project's label; other jobs start nothing.
    new aws.codebuild.Webhook(
      "runner-jobs",
      {
        projectName: this.project.name,
        buildType: "BUILD",
        filterGroups: [{ filters: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }] }],
      },
      child,
    );
    this.label = this.project.name.apply(runnerLabel);
    this.registerOutputs({
      project: this.project.name,
      label: this.label,
      securityGroupId: this.securityGroupId,
      roleArn: role.arn,
    });
  }

  /**
   * Out to HTTPS only (GitHub, npm, Pulumi Cloud, the AWS and Cloudflare APIs, the cluster's API);
   * nothing in: a runner connects out to GitHub ("Communicating with self-hosted runners", GitHub
   * docs) and CodeBuild asks for no inbound rule ("Use AWS CodeBuild with Amazon VPC"). DNS goes to
   * the VPC's resolver, which security groups do not filter.
   */
  private securityGroup(args: RunnersArgs, child: pulumi.CustomResourceOptions): aws.ec2.SecurityGroup {
    const group = new aws.ec2.SecurityGroup(
      "runner-sg",
      {
        vpcId: args.vpcId,
        description: "CI runners: HTTPS out only",
        tags: { Name: `${args.namePrefix}-runner` },
      },
      child,
    );
    const https = new aws.vpc.SecurityGroupEgressRule(
      "runner-sg-https-out",
      {
        securityGroupId: group.id,
        cidrIpv4: "0.0.0.0/0",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: "HTTPS to GitHub, npm, Pulumi Cloud, AWS, Cloudflare and the cluster API",
      },
      child,
    );
    new aws.ec2.VpcSecurityGroupRulesExclusive(
      "runner-sg-rules",
      { securityGroupId: group.id, ingressRuleIds: [], egressRuleIds: [https.id] },
      child,
    );
    return group;
  }
}

/**
 * The runners' own permissions, from the CodeBuild user guide: their log group ("CloudWatchLogsPolicy"
 * in "Setting up"), the network interfaces of a project in a VPC ("Allow CodeBuild access to AWS
 * services required to create a VPC network interface", with CreateNetworkInterfacePermission only for
 * CodeBuild and only in the runners' subnets), and the GitHub connection ("Connect to GitHub with
 * CodeConnections"; UseConnection as aws-cdk#37522 found CodeBuild checks it).
 */
function runnerPolicy(args: {
  region: string;
  account: pulumi.Output<string>;
  logGroupArn: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<string>[];
  runners: RunnersArgs["runners"];
}): pulumi.Output<string> {
  const connectionService = args.runners.connectionArn.split(":")[2];
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "JobLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: pulumi.interpolate`${args.logGroupArn}:*`,
      },
      {
        Sid: "NetworkInterfacesInTheVpc",
        Effect: "Allow",
        Action: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeDhcpOptions",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DeleteNetworkInterface",
          "ec2:DescribeSubnets",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeVpcs",
        ],
        Resource: "*",
      },
      {
        Sid: "NetworkInterfacesForCodeBuildOnly",
        Effect: "Allow",
        Action: "ec2:CreateNetworkInterfacePermission",
        Resource: pulumi.interpolate`arn:aws:ec2:${args.region}:${args.account}:network-interface/*`,
        Condition: {
          StringEquals: { "ec2:AuthorizedService": "codebuild.amazonaws.com" },
          ArnEquals: {
            "ec2:Subnet": pulumi
              .all([args.account, ...args.privateSubnetIds])
              .apply(([acct, ...ids]) => ids.map((id) => `arn:aws:ec2:${args.region}:${acct}:subnet/${id}`)),
          },
        },
      },
      {
        Sid: "TheGitHubConnection",
        Effect: "Allow",
        Action: [
          `${connectionService}:GetConnectionToken`,
          `${connectionService}:GetConnection`,
          `${connectionService}:UseConnection`,
        ],
        Resource: args.runners.connectionArn,
      },
    ],
  });
}

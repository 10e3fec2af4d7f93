/**
 * The CI runners inside the VPC (issue 27): every workflow job that runs Pulumi against a cloud stack
 * asks for that stack's CodeBuild runners, the runners reach the private API and nothing else, and
 * the bootstrap of docs/deploying.md creates exactly what they need from outside the VPC.
 */
import * as fs from "fs";
import * as path from "path";
import { find, ofType, type RegisteredResource } from "../../harness";
import { knownRun, plannedRun } from "../../harness/plans";
import { loadWorkflows } from "../../workflows/workflows";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const cloudStacks = ["staging", "production"];

/**
 * Pulumi's `--target` glob: `**` any characters, `*` any but `:`, anchored, case-sensitive
 * (pulumi/pulumi pkg/resource/deploy/deployment.go, getMatcher; docs "Targeted updates").
 */
function targetMatcher(pattern: string): RegExp {
  const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  const body = pattern
    .split("**")
    .map((part) => part.split("*").map(escape).join("[^:]*"))
    .join(".*");
  return new RegExp(`^${body}$`);
}

describe("Pulumi's --target globs, as the engine reads them", () => {
  test("** crosses the URN's separators, * stays within one segment, the whole URN must match", () => {
    const urn = "urn:pulumi:production::healthflow::healthflow:network:Network$aws:ec2/vpc:Vpc::vpc";
    expect(targetMatcher("urn:pulumi:production::healthflow::healthflow:network:Network**").test(urn)).toBe(
      true,
    );
    expect(targetMatcher("urn:pulumi:production::healthflow::healthflow:network:Network*").test(urn)).toBe(
      false,
    );
    expect(targetMatcher("*vpc").test(urn)).toBe(false);
    expect(targetMatcher("**vpc").test(urn)).toBe(true);
    expect(targetMatcher("urn:pulumi:production::healthflow::healthflow:network:Network").test(urn)).toBe(
      false,
    );
  });
});

describe.each(cloudStacks)("the CI runners of %s", (stack) => {
  let resources: RegisteredResource[];
  beforeAll(() => {
    resources = plannedRun(stack).resources;
  });
  const project = () => find(resources, "aws:codebuild/project:Project", "runner");

  test("a CodeBuild project in the private subnets that takes only queued workflow jobs", () => {
    const inputs = project().inputs as any;
    expect(inputs.name).toBe(`healthflow-${stack}-runner`);
    expect(inputs.source).toMatchObject({
      type: "GITHUB",
      location: "https://github.com/kallebyx/healthflow-infra.git",
      auth: { type: "CODECONNECTIONS" },
    });
    const privateSubnets = ofType(resources, "aws:ec2/subnet:Subnet")
      .filter((s) => s.name.startsWith("private-"))
      .map((s) => s.urn);
    expect([...project().propertyDependencies.vpcConfig].sort()).toEqual(
      expect.arrayContaining(privateSubnets),
    );
    expect(
      project().propertyDependencies.vpcConfig.some((urn) => /Subnet::(public|database)-/.test(urn)),
    ).toBe(false);
    const webhook = find(resources, "aws:codebuild/webhook:Webhook", "runner-jobs").inputs as any;
    expect(webhook.filterGroups).toEqual([{ filters: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }] }]);
    // CodeBuild's limit must not cut a deploy the workflow still allows (deploy.yml: 120 minutes).
    const deploy = loadWorkflows().find((w) => w.file === "deploy.yml")!;
    // The build's own start counts against CodeBuild's limit: some minutes more than the job's.
    expect(inputs.buildTimeout).toBeGreaterThanOrEqual(deploy.doc.jobs[stack]["timeout-minutes"]! + 10);
  });

  test("the runners send HTTPS out and take nothing in; the cluster admits them on 443", () => {
    const group = find(resources, "aws:ec2/securityGroup:SecurityGroup", "runner-sg");
    const exclusive = ofType(
      resources,
      "aws:ec2/vpcSecurityGroupRulesExclusive:VpcSecurityGroupRulesExclusive",
    ).find((r) => r.propertyDependencies.securityGroupId?.includes(group.urn))!;
    expect(exclusive.inputs.ingressRuleIds).toEqual([]);
    const egress = ofType(resources, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) =>
      r.propertyDependencies.securityGroupId?.includes(group.urn),
    );
    expect(egress.map((r) => [r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort])).toEqual([
      ["tcp", 443, 443],
    ]);
    const eks = find(resources, "aws:eks/cluster:Cluster", "eks");
    const intoCluster = ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
      (r) => r.propertyDependencies.referencedSecurityGroupId?.includes(group.urn),
    );
    expect(intoCluster.map((r) => [r.inputs.fromPort, r.inputs.toPort])).toEqual([[443, 443]]);
    expect(intoCluster[0].propertyDependencies.securityGroupId).toEqual([eks.urn]);
    // Every Kubernetes call waits for that rule: from a runner, nothing reaches the API before it.
    const k8s = find(resources, "pulumi:providers:kubernetes", "k8s");
    expect(k8s.dependencies).toContain(intoCluster[0].urn);
  });

  test("the runners' own role can only run them: no AWS action beyond logs, network interfaces and the connection", () => {
    // Its log group's ARN is known once it exists.
    const policy = JSON.parse(
      (find(knownRun(stack).resources, "aws:iam/rolePolicy:RolePolicy", "runner-permissions").inputs as any)
        .policy,
    );
    const actions: string[] = policy.Statement.flatMap((s: any) => [s.Action].flat());
    const services = [...new Set(actions.map((a) => a.split(":")[0]))].sort();
    expect(services).toEqual(["codeconnections", "ec2", "logs"]);
    expect(
      actions.filter(
        (a) =>
          a.startsWith("ec2:") && !/^ec2:(Describe|CreateNetworkInterface|DeleteNetworkInterface)/.test(a),
      ),
    ).toEqual([]);
    // CreateNetworkInterfacePermission: for CodeBuild, in the runners' subnets only (CodeBuild user guide).
    const permission = policy.Statement.find((s: any) =>
      [s.Action].flat().includes("ec2:CreateNetworkInterfacePermission"),
    );
    expect(permission.Condition.StringEquals["ec2:AuthorizedService"]).toBe("codebuild.amazonaws.com");
    expect(permission.Condition.ArnEquals["ec2:Subnet"]).toHaveLength(3);
    // No role is attached to the project other than this one, and no managed policy widens it.
    expect(
      ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) =>
        a.propertyDependencies.role?.includes(find(resources, "aws:iam/role:Role", "runner-role").urn),
      ),
    ).toEqual([]);
    const trust = JSON.parse(
      (find(resources, "aws:iam/role:Role", "runner-role").inputs as any).assumeRolePolicy,
    );
    expect(trust.Statement.map((s: any) => s.Principal)).toEqual([{ Service: "codebuild.amazonaws.com" }]);
    expect(Object.keys(trust.Statement[0].Condition.StringEquals).sort()).toEqual([
      "aws:SourceAccount",
      "aws:SourceArn",
    ]);
  });

  test("every workflow job that runs Pulumi on this stack runs on these runners", () => {
    const name = (project().inputs as any).name;
    let jobs = 0;
    for (const wf of loadWorkflows()) {
      for (const [id, job] of Object.entries(wf.doc.jobs)) {
        const pulumi = (job.steps ?? []).filter(
          (s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command,
        );
        if (pulumi.length === 0) continue;
        const stacks = (job.strategy?.matrix?.stack as string[] | undefined) ?? [
          String(pulumi[0].with!["stack-name"]),
        ];
        if (!stacks.includes(stack)) continue;
        const runsOn = String(job["runs-on"]).replace("${{ matrix.stack }}", stack);
        expect([wf.file, id, runsOn]).toEqual([
          wf.file,
          id,
          `codebuild-${name}-\${{ github.run_id }}-\${{ github.run_attempt }}`,
        ]);
        jobs++;
      }
    }
    // preview, deploy, drift.
    expect(jobs).toBe(3);
  });

  test("docs/deploying.md's bootstrap creates the runners from outside the VPC, and all they depend on", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "deploying.md"), "utf8");
    const section = doc.slice(
      doc.indexOf("## Bootstrap"),
      doc.indexOf("\n## ", doc.indexOf("## Bootstrap") + 3),
    );
    const command = /```bash\n\s*(pulumi up -s production[\s\S]*?)```/.exec(section)?.[1] ?? "";
    const targets = [...command.matchAll(/--target '([^']+)'/g)].map((m) =>
      // The doc gives production's; staging's is the same with its name (as the doc says).
      m[1].replaceAll("production", stack),
    );
    expect(targets.length).toBeGreaterThan(0);
    const matchers = targets.map(targetMatcher);
    const targeted = (urn: string) => matchers.some((m) => m.test(urn));
    for (const [target, matcher] of targets.map((t, i) => [t, matchers[i]] as const)) {
      expect([target, resources.some((r) => matcher.test(r.urn))]).toEqual([target, true]);
    }
    // What Pulumi would refuse with "depends on ... which was not specified in --target list":
    // a targeted resource whose parent or dependency is neither targeted, nor a provider, nor the stack.
    const implicit = (urn: string) => /::pulumi:providers:|::pulumi:pulumi:Stack::/.test(urn);
    const missing = resources
      .filter((r) => targeted(r.urn))
      .flatMap((r) =>
        [r.parent, ...r.dependencies, ...Object.values(r.propertyDependencies).flat()]
          .filter((urn): urn is string => !!urn && !implicit(urn) && !targeted(urn))
          .map((urn) => `${r.urn} -> ${urn}`),
      );
    expect(missing).toEqual([]);
    expect(targeted(project().urn)).toBe(true);
    expect(targeted(find(resources, "aws:codebuild/webhook:Webhook", "runner-jobs").urn)).toBe(true);
    // And nothing that needs the private API: the cluster and everything after it come from CI.
    expect(targeted(find(resources, "aws:eks/cluster:Cluster", "eks").urn)).toBe(false);
    expect(resources.filter((r) => r.type.startsWith("kubernetes:") && targeted(r.urn))).toEqual([]);
  });
});

describe("production's Kubernetes API", () => {
  test("is private only: no public endpoint", () => {
    const eks = find(plannedRun("production").resources, "aws:eks/cluster:Cluster", "eks").inputs as any;
    expect(eks.vpcConfig.endpointPrivateAccess).toBe(true);
    expect(eks.vpcConfig.endpointPublicAccess).toBe(false);
    expect(eks.vpcConfig.publicAccessCidrs).toBeUndefined();
  });
});

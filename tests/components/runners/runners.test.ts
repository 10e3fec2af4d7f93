/**
 * The CI runners inside the VPC (issue 27): every workflow job that runs Pulumi against a cloud stack
 * asks for that stack's CodeBuild runners, the runners reach the private API and nothing else, and
 * the bootstrap of docs/deploying.md creates exactly what they need from outside the VPC.
 */
import * as fs from "fs";
import * as path from "path";
import { find, ofType, runProgram, type RegisteredResource } from "../../harness";
import { ProgramError } from "../../../tools/engine/engine";
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

  /** The parents and dependencies of `r` that Pulumi's engine holds against the --target list. */
  const upstream = (r: RegisteredResource) =>
    [r.parent, ...r.dependencies, ...Object.values(r.propertyDependencies).flat()].filter(
      (urn): urn is string => !!urn && !/::pulumi:pulumi:Stack::/.test(urn),
    );
  const isProvider = (urn: string) => /[:$]pulumi:providers:/.test(urn);

  test("a targeted update cannot bootstrap a fresh account: the engine targets providers, and the Kubernetes one needs the cluster", () => {
    // pulumi/pulumi step_generator.go targets every provider implicitly; validateSteps then refuses a
    // create whose parent or dependency is an untargeted create ("depends on ... which was not
    // specified in --target list"). That is why the bootstrap is a mode of the program instead.
    const matchers = [
      `urn:pulumi:${stack}::healthflow::healthflow:network:Network**`,
      `urn:pulumi:${stack}::healthflow::healthflow:runners:Runners**`,
    ].map(targetMatcher);
    const targeted = (urn: string) => isProvider(urn) || matchers.some((m) => m.test(urn));
    const refused = resources
      .filter((r) => targeted(r.urn))
      .filter((r) => upstream(r).some((urn) => !targeted(urn)))
      .map((r) => r.type);
    expect(refused).toContain("pulumi:providers:kubernetes");
  });

  test("the bootstrap declares the network and the runners only, exactly as the full program does", async () => {
    const boot = await runProgram(stack, { environment: { HEALTHFLOW_BOOTSTRAP: "runners" } });
    const custom = boot.resources.filter((r) => r.custom && !isProvider(r.urn));
    expect(custom.length).toBeGreaterThan(20);
    const outside = custom.filter((r) => !/::healthflow:(network:Network|runners:Runners)\$/.test(r.urn));
    expect(outside.map((r) => r.urn)).toEqual([]);
    expect(boot.resources.filter((r) => isProvider(r.urn)).map((r) => r.type)).toEqual([
      "pulumi:providers:aws",
    ]);
    expect(find(boot.resources, "aws:codebuild/project:Project", "runner")).toBeDefined();
    // The later full update finds them as it declares them: same URNs, same inputs, same options.
    const full = new Map(resources.map((r) => [r.urn, r]));
    for (const r of custom) {
      const same = full.get(r.urn);
      expect([r.urn, same?.inputs, same?.protect]).toEqual([r.urn, r.inputs, r.protect]);
    }
    // Nothing they depend on is missing from the bootstrap (an engine would create it first).
    const declared = new Set(boot.resources.map((r) => r.urn));
    expect(custom.flatMap(upstream).filter((urn) => !declared.has(urn))).toEqual([]);
  });

  test("the bootstrap is refused where the stack's cluster exists: it would delete the rest", async () => {
    const existing = await runProgram(stack, {
      environment: { HEALTHFLOW_BOOTSTRAP: "runners" },
      invokesFrom: {
        module: path.join(ROOT, "tools", "engine", "awsAnswers.ts"),
        export: "existingClusterAnswers",
        args: ["1.35"],
      },
    }).catch((e: ProgramError) => e);
    expect(existing).toBeInstanceOf(ProgramError);
    expect((existing as ProgramError).message).toContain(
      `healthflow:cluster = "healthflow-${stack}": exists already in this account: HEALTHFLOW_BOOTSTRAP=runners is only for the first update of a fresh account`,
    );
    expect((existing as ProgramError).resources.filter((r) => r.custom && !isProvider(r.urn))).toEqual([]);
  });

  test("docs/deploying.md: the bootstrap command, and the targeted update of a stack deployed before the runners", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "deploying.md"), "utf8");
    const section = doc.slice(
      doc.indexOf("## Bootstrap"),
      doc.indexOf("\n## ", doc.indexOf("## Bootstrap") + 3),
    );
    expect(section).toContain("HEALTHFLOW_BOOTSTRAP=runners pulumi up -s production\n");
    const command = /```bash\n\s*(pulumi up -s production[\s\S]*?)```/.exec(section)?.[1] ?? "";
    const matchers = [...command.matchAll(/--target '([^']+)'/g)].map((m) =>
      // The doc gives production's; staging's is the same with its name.
      targetMatcher(m[1].replaceAll("production", stack)),
    );
    expect(matchers).toHaveLength(2);
    for (const m of matchers)
      expect([m.source, resources.some((r) => m.test(r.urn))]).toEqual([m.source, true]);
    const targeted = (urn: string) => isProvider(urn) || matchers.some((m) => m.test(urn));
    // What such a stack lacks: the runners and the rule that admits them to its API; all else exists.
    const rule = find(
      resources,
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      "api-from-client-0",
    );
    const lacking = new Set([
      rule.urn,
      ...resources.filter((r) => /::healthflow:runners:Runners(\$|::)/.test(r.urn)).map((r) => r.urn),
    ]);
    expect([...lacking].filter((urn) => !targeted(urn))).toEqual([]);
    // Every targeted resource's parents and dependencies are targeted or exist already.
    const refused = resources
      .filter((r) => targeted(r.urn))
      .flatMap((r) => upstream(r).filter((urn) => lacking.has(urn) && !targeted(urn)));
    expect(refused).toEqual([]);
    // And nothing else: the cluster's own settings (its endpoint) change only from CI.
    expect(
      resources.filter((r) => targeted(r.urn) && !isProvider(r.urn) && !lacking.has(r.urn)).map((r) => r.urn),
    ).toEqual([]);
  });
});

test("HEALTHFLOW_BOOTSTRAP takes only 'runners': another value is refused before anything is created", async () => {
  const other = await runProgram("staging", { environment: { HEALTHFLOW_BOOTSTRAP: "all" } }).catch(
    (e: ProgramError) => e,
  );
  expect(other).toBeInstanceOf(ProgramError);
  expect((other as ProgramError).message).toContain(
    `HEALTHFLOW_BOOTSTRAP = "all": must be "runners" (the bootstrap of a fresh account) or unset`,
  );
  expect((other as ProgramError).resources.filter((r) => r.custom)).toEqual([]);
});

describe("production's Kubernetes API", () => {
  test("is private only: no public endpoint", () => {
    const eks = find(plannedRun("production").resources, "aws:eks/cluster:Cluster", "eks").inputs as any;
    expect(eks.vpcConfig.endpointPrivateAccess).toBe(true);
    expect(eks.vpcConfig.endpointPublicAccess).toBe(false);
    expect(eks.vpcConfig.publicAccessCidrs).toBeUndefined();
  });
});

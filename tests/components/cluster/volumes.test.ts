import { gp3Parameters } from "../../../components/cluster/storage";
import { find, type ProgramRun } from "../../harness";
import { forceNewFields, providerDiff } from "../../harness/kubernetesDiff";
import { plannedRun } from "../../harness/plans";

// Every EBS volume of the cluster under the cluster's own key: the nodes' root disks (launched by
// EC2 Auto Scaling, so its service-linked role must be in the key policy) and the volumes the
// EBS CSI driver creates; tags on what EC2 creates for the node groups; and scratch space that
// goes with its pod.

const SLR =
  "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling";

describe.each(["staging", "production"])("the volumes of %s", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const one = (type: string, name: string) => find(run.resources, type, name);
  const key = () => one("aws:kms/key:Key", "volumes-key");

  test("the key lets EC2 Auto Scaling's service-linked role (found by the preflight) use and grant it", () => {
    const policy = JSON.parse(String(key().inputs.policy));
    expect(key().inputs.enableKeyRotation).toBe(true);
    const statements = policy.Statement.filter((s: any) => s.Principal?.AWS === SLR);
    expect(statements.map((s: any) => [s.Action, s.Condition])).toEqual([
      [
        ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        undefined,
      ],
      ["kms:CreateGrant", { Bool: { "kms:GrantIsForAWSResource": true } }],
    ]);
    // The account still administers the key through IAM.
    expect(policy.Statement[0]).toMatchObject({
      Principal: { AWS: "arn:aws:iam::111122223333:root" },
      Action: "kms:*",
    });
  });

  test("the nodes' root volumes use it, and instances, volumes and interfaces carry the stack's tags", () => {
    const template = one("aws:ec2/launchTemplate:LaunchTemplate", "general-sa-east-1b-template");
    expect((template.inputs.blockDeviceMappings as any[])[0].ebs).toMatchObject({
      encrypted: "true",
      volumeType: "gp3",
    });
    expect(template.propertyDependencies.blockDeviceMappings).toContain(key().urn);
    const tagged = Object.fromEntries(
      (template.inputs.tagSpecifications as any[]).map((t) => [t.resourceType, t.tags]),
    );
    expect(Object.keys(tagged).sort()).toEqual(["instance", "network-interface", "volume"]);
    for (const tags of Object.values(tagged)) {
      expect(tags).toMatchObject({
        project: "healthflow",
        environment: stack,
        "data-classification": "sensitive-health",
        Name: `healthflow-${stack}-general-sa-east-1b`,
      });
    }
  });

  test("both StorageClasses encrypt with it and tag their volumes; the EBS CSI driver may use it", () => {
    for (const name of ["gp3", "gp3-scratch"]) {
      const sc = one("kubernetes:storage.k8s.io/v1:StorageClass", name);
      expect(sc.inputs.parameters).toMatchObject({
        type: "gp3",
        encrypted: "true",
        tagSpecification_4: "data-classification=sensitive-health",
      });
      expect(sc.propertyDependencies.parameters).toContain(key().urn);
    }
    const csi = one("aws:iam/rolePolicy:RolePolicy", "ebs-csi-driver-volumes-key");
    expect(csi.propertyDependencies.policy).toContain(key().urn);
    expect(one("aws:eks/addon:Addon", "aws-ebs-csi-driver").dependencies).toContain(csi.urn);
  });

  test("scratch volumes are deleted with their claim; the default class keeps its volumes", () => {
    const reclaim = (name: string) =>
      one("kubernetes:storage.k8s.io/v1:StorageClass", name).inputs.reclaimPolicy;
    expect([reclaim("gp3"), reclaim("gp3-scratch")]).toEqual(["Retain", "Delete"]);
    expect(
      (one("kubernetes:storage.k8s.io/v1:StorageClass", "gp3-scratch").inputs.metadata as any).annotations,
    ).toBeUndefined();
  });
});

test("StorageClass parameters as the EBS CSI driver reads them: tagSpecification_<n> is key=value", () => {
  expect(
    gp3Parameters("arn:aws:kms:sa-east-1:111122223333:key/k", { stack: "s", "data-classification": "x" }),
  ).toEqual({
    type: "gp3",
    fsType: "ext4",
    encrypted: "true",
    kmsKeyId: "arn:aws:kms:sa-east-1:111122223333:key/k",
    tagSpecification_1: "stack=s",
    tagSpecification_2: "data-classification=x",
  });
});

test("a tag added to every AWS resource later does not replace the StorageClasses (their parameters are immutable)", () => {
  const tags = { project: "healthflow", environment: "production", stack: "production" };
  const before = gp3Parameters("k", tags);
  // A new default tag, wherever it lands among the others.
  const after = gp3Parameters("k", { "cost-center": "plataforma", ...tags, owner: "sre" });
  expect(providerDiff("StorageClass", { parameters: before }, { parameters: after }, {})).toBe("same");
});

describe.each(["staging", "production"])("the StorageClasses of %s", (stack) => {
  test("a change the API refuses as an update (reclaimPolicy, volumeBindingMode) is a replacement, deleted first", () => {
    for (const name of ["gp3", "gp3-scratch"]) {
      const sc = plannedRun(stack).resources.find(
        (r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass" && r.name === name,
      )!;
      // ValidateStorageClassUpdate (kubernetes pkg/apis/storage/validation) forbids updating all four.
      const immutable = ["provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"];
      const replacedByProvider = forceNewFields("StorageClass", {}, {});
      expect(
        immutable.filter((f) => !replacedByProvider.includes(f) && !sc.replaceOnChanges.includes(f)),
      ).toEqual([]);
      // Same name: created first, the new class would collide with the old one (AlreadyExists).
      expect(sc.deleteBeforeReplace).toBe(true);
    }
  });
});

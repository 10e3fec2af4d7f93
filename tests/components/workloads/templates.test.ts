import { runProgram, type ProgramRun, type RegisteredResource } from "../../harness";
import { forceNewFields, providerDiff } from "../../harness/kubernetesDiff";
import { knownRun } from "../../harness/plans";
import { readStackConfig } from "../../../tools/engine/stackConfig";

// A config change reaches the pods that read it, and deletes nothing on its way (issue 25): the
// provider updates ConfigMaps and Secrets in place (its Diff: tests/harness/kubernetesDiff.ts), and
// a workload rolls when its pod template changes (Kubernetes: a Deployment's rollout "is triggered if
// and only if the Deployment's Pod template (that is, .spec.template) is changed", kubernetes.io ›
// Deployments › Updating a Deployment). So each template carries a checksum of what it reads.

const CHECKSUM = "checksum/config";
const WORKLOADS = ["Deployment", "Job", "CronJob"];

const kindOf = (r: RegisteredResource) => r.type.split(":").pop()!;
const objectNamed = (run: ProgramRun, kind: string, name: string) => {
  const found = run.resources.filter((r) => kindOf(r) === kind && (r.inputs as any).metadata?.name === name);
  expect(found).toHaveLength(1);
  return found[0].inputs as Record<string, any>;
};
const templateOf = (kind: string, inputs: Record<string, any>) =>
  kind === "CronJob" ? inputs.spec.jobTemplate.spec.template : inputs.spec.template;

/** The ConfigMaps and Secrets a pod template reads: env, envFrom and volumes. */
function objectsRead(template: Record<string, any>): string[] {
  const read: string[] = [];
  const spec = template.spec ?? {};
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const from of container.envFrom ?? []) read.push(from.configMapRef?.name ?? from.secretRef?.name);
    for (const env of container.env ?? [])
      if (env.valueFrom?.configMapKeyRef || env.valueFrom?.secretKeyRef)
        read.push((env.valueFrom.configMapKeyRef ?? env.valueFrom.secretKeyRef).name);
  }
  for (const volume of spec.volumes ?? [])
    if (volume.configMap || volume.secret) read.push(volume.configMap?.name ?? volume.secret.secretName);
  return read;
}

/** The pod-template checksum of each workload that reads a ConfigMap or Secret, by logical name. */
function checksums(run: ProgramRun): Map<string, string> {
  const sums = new Map<string, string>();
  for (const r of run.resources.filter((r) => WORKLOADS.includes(kindOf(r)))) {
    const template = templateOf(kindOf(r), r.inputs as any);
    if (objectsRead(template).length > 0)
      sums.set(`${kindOf(r)} ${r.name}`, template.metadata.annotations?.[CHECKSUM]);
  }
  return sums;
}

const providerOf = (run: ProgramRun) => {
  const providers = run.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
  expect(providers).toHaveLength(1);
  return providers[0].inputs as Record<string, any>;
};

const staging = () => readStackConfig("staging").config;
const json = (key: string) => JSON.parse(staging()[key]);

test("the model of the provider's diff: without the flags a data change replaces a ConfigMap or a Secret", () => {
  const before = { metadata: { name: "c" }, data: { A: "1" } };
  const after = { metadata: { name: "c" }, data: { A: "2" } };
  expect(providerDiff("ConfigMap", before, after, {})).toBe("replace");
  expect(providerDiff("ConfigMap", before, after, { enableConfigMapMutable: "true" })).toBe("update");
  expect(
    providerDiff("ConfigMap", before, { ...after, immutable: true }, { enableConfigMapMutable: true }),
  ).toBe("replace");
  expect(forceNewFields("Secret", {}, { enableSecretMutable: true })).toContain("type");
  expect(providerDiff("Secret", { stringData: { A: "1" } }, { stringData: { A: "2" } }, {})).toBe("replace");
});

test("every workload that reads a ConfigMap or a Secret carries a checksum; those that read the same objects the same", () => {
  const sums = checksums(knownRun("staging"));
  expect([...sums.keys()].sort()).toEqual([
    "CronJob postgres-backup",
    "CronJob restore-drill",
    "Deployment api",
    "Deployment web",
    "Deployment worker",
    "Job api-migrate",
    "Job db-audit",
  ]);
  for (const sum of sums.values()) expect(sum).toMatch(/^[0-9a-f]{64}$/);
  const apps = new Set(
    ["Deployment api", "Deployment web", "Deployment worker", "Job api-migrate"].map((k) => sums.get(k)),
  );
  expect(apps.size).toBe(1);
  expect(sums.get("CronJob postgres-backup")).not.toBe(sums.get("Deployment api"));
  // The drill reads the scripts only, not the backup's credentials or CA: a checksum of its own.
  expect(sums.get("CronJob restore-drill")).not.toBe(sums.get("CronJob postgres-backup"));
  // The database audit Job reads DATABASE_URL and the CA only: a checksum of its own.
  expect(sums.get("Job db-audit")).not.toBe(sums.get("Deployment api"));
});

describe.each([
  {
    change: "the api's port (API_INTERNAL_URL in the apps' ConfigMap)",
    object: ["ConfigMap", "healthflow-config"],
    overrides: () => {
      const apps = json("healthflow:apps");
      return { "healthflow:apps": { ...apps, api: { ...apps.api, port: 3011 } } };
    },
  },
  {
    change: "a read replica (DATABASE_READ_URL in the apps' Secret)",
    object: ["Secret", "healthflow-secrets"],
    overrides: () => ({ "healthflow:database": { ...json("healthflow:database"), readReplicas: 1 } }),
  },
])("staging, changing $change", ({ object: [kind, name], overrides }) => {
  let before: ProgramRun;
  let after: ProgramRun;
  beforeAll(async () => {
    before = knownRun("staging");
    after = await runProgram("staging", { computed: "known", overrides: overrides() });
  });

  test(`updates the ${kind} in place, through the cluster's provider`, () => {
    const provider = providerOf(after);
    expect(
      providerDiff(kind, objectNamed(before, kind, name), objectNamed(after, kind, name), provider),
    ).toBe("update");
  });

  test("rolls exactly the apps and the migrations that read it; the backup job reads none of it", () => {
    const [old, now] = [checksums(before), checksums(after)];
    const rolled = [...now.keys()].filter((k) => now.get(k) !== old.get(k)).sort();
    expect(rolled).toEqual(["Deployment api", "Deployment web", "Deployment worker", "Job api-migrate"]);
  });
});

test.each(["staging", "production"])(
  "every workload of %s and its pods carry the recommended labels (kubectl and dashboards find them by)",
  (stack) => {
    // app.kubernetes.io's recommended labels (kubernetes.io › Recommended Labels): name, component, part-of.
    const workloads = knownRun(stack).resources.filter((r) => WORKLOADS.includes(kindOf(r)));
    expect(workloads.length).toBeGreaterThanOrEqual(6);
    for (const r of workloads) {
      const inputs = r.inputs as any;
      for (const labels of [inputs.metadata.labels, templateOf(kindOf(r), inputs).metadata.labels])
        expect({ workload: r.name, labels }).toEqual({
          workload: r.name,
          labels: expect.objectContaining({
            "app.kubernetes.io/name": expect.stringMatching(/^[a-z][a-z0-9-]*$/),
            "app.kubernetes.io/component": expect.stringMatching(/^[a-z][a-z0-9-]*$/),
            "app.kubernetes.io/part-of": "healthflow",
          }),
        });
    }
  },
);

test.each(["staging", "production"])(
  "no Secret of %s uses stringData: a key removed from it would stay in the live Secret (server-side apply)",
  (stack) => {
    // The provider applies server-side and updates Secrets in place; the API merges stringData into
    // data on write, and a key later dropped from stringData is never pruned (kubernetes/kubernetes#108008).
    const secrets = knownRun(stack).resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    for (const secret of secrets)
      expect({ secret: secret.name, stringData: (secret.inputs as any).stringData }).toEqual({
        secret: secret.name,
        stringData: undefined,
      });
  },
);

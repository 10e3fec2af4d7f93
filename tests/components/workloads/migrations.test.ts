import { CONFIG_CHECKSUM } from "../../../components/checksum";
import {
  MIGRATION_DEADLINE_SECONDS,
  migrationJobName,
  migrationJobSpec,
} from "../../../components/workloads/migrations";
import { runProgram } from "../../harness/programs";
import { readStackConfig } from "../../../tools/engine/stackConfig";
import { goDurationSeconds, type RegisteredResource } from "../../harness";
import { knownRun } from "../../harness/plans";

// How the migration Job behaves on a real cluster is decided by the Pulumi Kubernetes provider
// (pulumi/pulumi-kubernetes provider/pkg/provider/provider.go, Diff) and the engine
// (pulumi/pulumi pkg/resource/deploy/step_generator.go): a Job's spec is immutable, so a change is
// a replacement; the provider asks to delete first exactly when the replacement keeps the old
// name, and a `deleteBeforeReplace` resource option overrides the provider either way. Pulumi
// awaits a Job 10 minutes unless customTimeouts says otherwise, and re-awaits a failed one on every
// update unless `pulumi.com/replaceUnready: "true"` makes it replace it.

const JOB = "kubernetes:batch/v1:Job";
const jobOf = (resources: RegisteredResource[]) => {
  const jobs = resources.filter((r) => r.type === JOB && r.name === "api-migrate");
  expect(jobs).toHaveLength(1);
  return jobs[0];
};
const inputs = (job: RegisteredResource) => job.inputs as any;

describe.each(["staging", "production"])("the api's migration Job in %s", (stack) => {
  let job: RegisteredResource;
  beforeAll(() => {
    job = jobOf(knownRun(stack).resources);
  });

  test("its name hashes its whole spec: changing only an env var gives a new name", () => {
    const { metadata, spec } = inputs(job);
    expect(metadata.name).toBe(migrationJobName(spec));
    const withEnv = structuredClone(spec);
    withEnv.template.spec.containers[0].env.push({ name: "PRISMA_HIDE_UPDATE_MESSAGE", value: "1" });
    expect(migrationJobName(withEnv)).not.toBe(metadata.name);
    const longer = { ...structuredClone(spec), activeDeadlineSeconds: 1800 };
    expect(migrationJobName(longer)).not.toBe(metadata.name);
    // Key order is not a change: the same spec built another way keeps its name.
    const reordered = Object.fromEntries(Object.entries(structuredClone(spec)).reverse()) as typeof spec;
    expect(migrationJobName(reordered)).toBe(metadata.name);
  });

  test("no deleteBeforeReplace override: a renamed Job is created before the old one goes, a same-named one after", () => {
    // With the option unset the provider decides: create-before-delete for a new name (the old
    // Job keeps the rollout's dependencies satisfied meanwhile), delete-first for the same name
    // (replaceUnready on an unchanged spec); `false` here would make that second case a 409.
    expect(job.deleteBeforeReplace).toBeUndefined();
  });

  test("Pulumi awaits it longer than the Job may run, and replaces it on the next update if it failed", () => {
    const { metadata, spec } = inputs(job);
    expect(spec.activeDeadlineSeconds).toBe(MIGRATION_DEADLINE_SECONDS);
    expect(job.customTimeouts?.create).toBeDefined();
    expect(job.customTimeouts?.update).toBeDefined();
    // Past the deadline the Job is Failed, which ends the await with the Job's own reason.
    expect(goDurationSeconds(job.customTimeouts!.create!)).toBeGreaterThan(spec.activeDeadlineSeconds);
    expect(goDurationSeconds(job.customTimeouts!.update!)).toBeGreaterThan(spec.activeDeadlineSeconds);
    expect(metadata.annotations).toEqual({ "pulumi.com/replaceUnready": "true" });
    expect(spec.backoffLimit).toBe(1);
  });
});

test("a new api image is a new Job (its migrations run); the same image keeps the Job (nothing runs)", async () => {
  const apps = JSON.parse(readStackConfig("staging").config["healthflow:apps"]);
  const job = inputs(jobOf(knownRun("staging").resources));
  const checksum = job.spec.template.metadata.annotations[CONFIG_CHECKSUM];
  const name = (image: string) =>
    migrationJobName(
      migrationJobSpec({
        image,
        configMapName: "healthflow-config",
        secretName: "healthflow-secrets",
        databaseCa: { configMap: "healthflow-rds-ca", mountDir: "/etc/healthflow/rds-ca" },
        configChecksum: checksum,
      }),
    );
  expect(name(apps.api.image)).toBe(job.metadata.name);
  const next = `${apps.api.image.split(":")[0]}:9.9.9`;
  const updated = await runProgram("staging", {
    computed: "known",
    overrides: { "healthflow:apps": { ...apps, api: { ...apps.api, image: next } } },
  });
  const renamed = inputs(jobOf(updated.resources)).metadata.name;
  expect(renamed).not.toBe(job.metadata.name);
  expect(renamed).toBe(name(next));
});

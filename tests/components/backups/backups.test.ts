import * as fs from "fs";
import * as path from "path";
import { find, type ProgramRun } from "../../harness";
import { plannedRun } from "../../harness/plans";
import { PROJECT_ROOT, readStackConfig } from "../../../tools/engine/stackConfig";

const backupsConfig = (stack: string) => JSON.parse(readStackConfig(stack).config["healthflow:backups"]);

describe.each([
  ["staging", { protect: false }],
  ["production", { protect: true }],
])("the backups of %s", (stack, expected) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });
  const inputs = (type: string, name: string) =>
    find(run.resources, type, name).inputs as Record<string, any>;
  const cronJob = () => inputs("kubernetes:batch/v1:CronJob", "postgres-backup");

  test("the bucket: Object Lock as configured, SSE-KMS, versioned, private, TLS-only", () => {
    const settings = backupsConfig(stack);
    expect(inputs("aws:s3/bucket:Bucket", "backups").objectLockEnabled).toBe(true);
    expect(
      inputs("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "backups-object-lock")
        .rule,
    ).toEqual({
      defaultRetention: { mode: settings.objectLock.mode, days: settings.objectLock.days },
    });
    const sse = inputs(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "backups-encryption",
    );
    expect(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("aws:kms");
    expect(
      inputs("aws:s3/bucketVersioning:BucketVersioning", "backups-versioning").versioningConfiguration.status,
    ).toBe("Enabled");
    expect(
      inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "backups-public-access")
        .restrictPublicBuckets,
    ).toBe(true);
    expect(find(run.resources, "aws:s3/bucket:Bucket", "backups").protect).toBe(expected.protect);
  });

  test("lifecycle: infrequent access, then Glacier Instant Retrieval, then expiry; uploads never linger", () => {
    const { tiering, retentionDays } = backupsConfig(stack);
    const rules = inputs(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "backups-lifecycle",
    ).rules;
    expect(rules[0]).toMatchObject({
      filter: { prefix: "postgres/" },
      transitions: [
        { days: tiering.infrequentAccessAfterDays, storageClass: "STANDARD_IA" },
        { days: tiering.archiveAfterDays, storageClass: "GLACIER_IR" },
      ],
      expiration: { days: retentionDays },
    });
    expect(rules[1].abortIncompleteMultipartUpload).toEqual({ daysAfterInitiation: 7 });
  });

  test("the job's role may only write under the backups prefix", () => {
    const policy = JSON.parse(
      inputs("aws:iam/rolePolicy:RolePolicy", "postgres-backup-write-only").policy ?? "{}",
    );
    const s3Actions = policy.Statement.flatMap((s: any) => s.Action).filter((a: string) =>
      a.startsWith("s3:"),
    );
    expect(s3Actions).toEqual(["s3:PutObject", "s3:AbortMultipartUpload"]);
    expect(policy.Statement[0].Resource).toMatch(/\/postgres\/\*$/);
    const association = inputs("aws:eks/podIdentityAssociation:PodIdentityAssociation", "postgres-backup");
    expect([association.namespace, association.serviceAccount]).toEqual(["healthflow", "postgres-backup"]);
  });

  test("KMS use only through S3 and for this bucket (Bucket Keys: the context is the bucket ARN)", () => {
    const policy = JSON.parse(inputs("aws:iam/rolePolicy:RolePolicy", "postgres-backup-write-only").policy);
    const kms = policy.Statement.find((s: any) => s.Sid === "EncryptBackupsThroughS3");
    expect(kms.Condition.StringEquals["kms:ViaService"]).toBe("s3.sa-east-1.amazonaws.com");
    expect(kms.Condition.StringEquals["kms:EncryptionContext:aws:s3:arn"]).toMatch(
      /^arn:aws:s3:::healthflow-.*-backups-\d{12}$/,
    );
  });

  describe("the restore drill", () => {
    const drill = () => inputs("kubernetes:batch/v1:CronJob", "restore-drill");

    test("runs the repository's drill.sh: fetch with the AWS CLI, check in the database's postgres image, non-root", () => {
      const pod = drill().spec.jobTemplate.spec.template.spec;
      const backupPod = cronJob().spec.jobTemplate.spec.template.spec;
      const containers = [...pod.initContainers, ...pod.containers];
      expect(containers.map((c: any) => [c.name, c.command.join(" ")])).toEqual([
        ["fetch", "/bin/sh /scripts/drill.sh fetch"],
        ["check", "/bin/sh /scripts/drill.sh check"],
      ]);
      // The restore runs in the image whose pg_dump made the dump (the database's major), fetch in the CLI's.
      expect(pod.containers[0].image).toBe(backupPod.initContainers[0].image);
      expect(pod.initContainers[0].image).toBe(backupPod.containers[0].image);
      for (const c of containers)
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        });
      // The drill mounts the backup job's scripts (the ConfigMap holds drill.sh as the tests run it).
      const scripts = pod.volumes.find((v: any) => v.name === "scripts").configMap.name;
      const configMap = run.resources.find(
        (r) => r.type === "kubernetes:core/v1:ConfigMap" && (r.inputs.metadata as any).name === scripts,
      )!.inputs as any;
      expect(configMap.data["drill.sh"]).toBe(
        fs.readFileSync(path.join(PROJECT_ROOT, "scripts/drill.sh"), "utf8"),
      );
    });

    test("at least once a week, so RestoreDrillMissing (8 days) never fires on schedule; its scratch goes with the pod", () => {
      const spec = drill().spec;
      const [minute, hour, dayOfMonth, month, dayOfWeek] = String(spec.schedule).split(/\s+/);
      expect([dayOfMonth, month]).toEqual(["*", "*"]);
      expect([minute, hour, dayOfWeek].every((f) => /^\d+$|^\*$/.test(f))).toBe(true);
      expect(spec.timeZone).toBe("America/Sao_Paulo");
      expect([spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit]).toEqual([1, 1]);
      expect(spec.jobTemplate.spec.ttlSecondsAfterFinished).toBeLessThanOrEqual(3600);
      const pod = spec.jobTemplate.spec.template.spec;
      const claim = pod.volumes.find((v: any) => v.name === "drill").ephemeral.volumeClaimTemplate.spec;
      const backupClaim = cronJob().spec.jobTemplate.spec.template.spec.volumes.find(
        (v: any) => v.name === "backup",
      ).ephemeral.volumeClaimTemplate.spec;
      expect(claim.storageClassName).toBe(backupClaim.storageClassName);
      expect(claim.resources.requests.storage).toBe(`${backupsConfig(stack).drill.scratchGiB}Gi`);
    });

    test("its role may list and read the backups and decrypt them through S3, nothing else", () => {
      const policy = JSON.parse(inputs("aws:iam/rolePolicy:RolePolicy", "restore-drill-read-only").policy);
      const actions = policy.Statement.flatMap((s: any) => s.Action).sort();
      expect(actions).toEqual(["kms:Decrypt", "s3:GetObject", "s3:ListBucket"]);
      const byAction = (a: string) => policy.Statement.find((s: any) => s.Action.includes(a));
      expect(byAction("s3:GetObject").Resource).toMatch(
        /^arn:aws:s3:::healthflow-.*-backups-\d{12}\/postgres\/\*$/,
      );
      expect(byAction("s3:ListBucket").Condition).toEqual({ StringLike: { "s3:prefix": ["postgres/*"] } });
      expect(byAction("kms:Decrypt").Condition.StringEquals["kms:ViaService"]).toBe(
        "s3.sa-east-1.amazonaws.com",
      );
      const association = inputs("aws:eks/podIdentityAssociation:PodIdentityAssociation", "restore-drill");
      expect([association.namespace, association.serviceAccount]).toEqual(["healthflow", "restore-drill"]);
      const cron = find(run.resources, "kubernetes:batch/v1:CronJob", "restore-drill");
      for (const needed of [
        find(run.resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "restore-drill"),
        find(run.resources, "aws:iam/rolePolicy:RolePolicy", "restore-drill-read-only"),
      ])
        expect(cron.dependencies).toContain(needed.urn);
    });
  });

  test("the dump reads the replica where there is one, onto its own gp3 scratch volume", () => {
    const pod = cronJob().spec.jobTemplate.spec.template.spec;
    const volume = pod.volumes.find((v: any) => v.name === "backup");
    expect(volume.ephemeral.volumeClaimTemplate.spec).toMatchObject({
      resources: { requests: { storage: `${backupsConfig(stack).scratchGiB}Gi` } },
    });
    const dbHost = find(run.resources, "kubernetes:batch/v1:CronJob", "postgres-backup").propertyDependencies
      .spec;
    const replica = run.resources.find((r) => r.name === "postgres-replica-1");
    if (replica) expect(dbHost).toContain(replica.urn);
    else expect(dbHost).toContain(find(run.resources, "aws:rds/instance:Instance", "postgres").urn);
  });

  test("the scratch volume (a full pg_dump) is deleted with the pod: its class reclaims on delete, encrypted", () => {
    const pod = cronJob().spec.jobTemplate.spec.template.spec;
    const claim = pod.volumes.find((v: any) => v.name === "backup").ephemeral.volumeClaimTemplate;
    const className = claim.spec.storageClassName;
    const storageClass = run.resources.find(
      (r) =>
        r.type === "kubernetes:storage.k8s.io/v1:StorageClass" &&
        (r.inputs.metadata as any).name === className,
    );
    expect(storageClass?.inputs).toMatchObject({
      reclaimPolicy: "Delete",
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true" },
    });
    // The class's key is the cluster's own, not AWS's aws/ebs.
    expect(storageClass?.propertyDependencies.parameters).toContain(
      find(run.resources, "aws:kms/key:Key", "volumes-key").urn,
    );
    // The CronJob names the class the cluster made, so it waits for it.
    expect(
      find(run.resources, "kubernetes:batch/v1:CronJob", "postgres-backup").propertyDependencies.spec,
    ).toContain(storageClass?.urn);
  });

  test("the dump verifies the database server against AWS's regional CA bundle (verify-full)", () => {
    const pod = cronJob().spec.jobTemplate.spec.template.spec;
    const dump = pod.initContainers[0];
    const env = Object.fromEntries(dump.env.map((e: any) => [e.name, e.value]));
    expect(env.PGSSLMODE).toBe("verify-full");
    const mount = dump.volumeMounts.find((m: any) => m.name === "rds-ca");
    expect(mount).toMatchObject({ readOnly: true });
    expect(env.PGSSLROOTCERT).toBe(`${mount.mountPath}/sa-east-1-bundle.pem`);
    const bundle = inputs("kubernetes:core/v1:ConfigMap", "postgres-backup-rds-ca").data[
      "sa-east-1-bundle.pem"
    ];
    expect(bundle).toBe(
      fs.readFileSync(path.join(PROJECT_ROOT, "components/data/rds-ca/sa-east-1-bundle.pem"), "utf8"),
    );
    expect(pod.volumes.find((v: any) => v.name === "rds-ca").configMap.name).toBe("postgres-backup-rds-ca");
  });

  test("the CronJob: 02:00 São Paulo, never overlapping, bounded, with history limits", () => {
    const spec = cronJob().spec;
    expect(spec).toMatchObject({
      // The guide's backup CronJob: schedule "0 2 * * *", daily at 2 AM (infra-guide.pt-BR.md), and
      // 2 AM is São Paulo's, where the patients are.
      schedule: "0 2 * * *",
      timeZone: "America/Sao_Paulo",
      concurrencyPolicy: "Forbid",
    });
    expect(spec.startingDeadlineSeconds).toBeGreaterThan(0);
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 10800 });
  });

  test("a finished job and its scratch volume are gone within the hour: one kept of each outcome", () => {
    // Issue 31: the scratch volume of a kept job is a full dump of patients' data on EBS.
    const spec = cronJob().spec;
    expect([spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit]).toEqual([1, 1]);
    expect(spec.jobTemplate.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(spec.jobTemplate.spec.ttlSecondsAfterFinished).toBeLessThanOrEqual(3600);
  });

  test("runs once a day, in the night's off-peak window (00:00 to 05:59 São Paulo time)", () => {
    const { schedule, timeZone } = cronJob().spec;
    expect(timeZone).toBe("America/Sao_Paulo");
    const [minute, hour, dayOfMonth, month, dayOfWeek, ...rest] = String(schedule).split(/\s+/);
    expect(rest).toEqual([]);
    expect([dayOfMonth, month, dayOfWeek]).toEqual(["*", "*", "*"]);
    expect(minute).toMatch(/^[0-5]?\d$/);
    expect(hour).toMatch(/^\d{1,2}$/);
    expect(Number(hour)).toBeLessThan(6);
  });

  test("dump then upload, both non-root with limits, running the repository's scripts", () => {
    const pod = cronJob().spec.jobTemplate.spec.template.spec;
    const containers = [...pod.initContainers, ...pod.containers];
    expect(containers.map((c: any) => [c.name, c.command.join(" ")])).toEqual([
      ["dump", "/bin/sh /scripts/backup.sh dump"],
      ["upload", "/bin/sh /scripts/backup.sh upload"],
    ]);
    for (const c of containers) {
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      expect(Object.keys(c.resources.limits).sort()).toEqual(["cpu", "memory"]);
    }
    expect(pod.initContainers[0].image).toBe(backupsConfig(stack).images.postgres);
    const scripts = inputs("kubernetes:core/v1:ConfigMap", "postgres-backup-scripts").data;
    for (const file of ["backup.sh", "restore.sh", "lib.sh"]) {
      expect(scripts[file]).toBe(fs.readFileSync(path.join(PROJECT_ROOT, "scripts", file), "utf8"));
    }
  });

  test("the password reaches only the dump container, through a Secret; the bucket only the upload", () => {
    const pod = cronJob().spec.jobTemplate.spec.template.spec;
    const names = (c: any) => c.env.map((e: any) => e.name);
    const password = pod.initContainers[0].env.find((e: any) => e.name === "PGPASSWORD");
    expect(password.value).toBeUndefined();
    expect(password.valueFrom.secretKeyRef.key).toBe("PGPASSWORD");
    expect(names(pod.containers[0])).not.toContain("PGPASSWORD");
    expect(names(pod.containers[0])).toEqual(expect.arrayContaining(["BACKUP_BUCKET", "BACKUP_KMS_KEY_ID"]));
    expect(names(pod.initContainers[0])).not.toContain("BACKUP_BUCKET");
    // Both run as one uid: the dump's files are private to it.
    expect(
      new Set([pod.initContainers[0], pod.containers[0]].map((c: any) => c.securityContext.runAsUser)).size,
    ).toBe(1);
  });
});

test("dev has no backup bucket or CronJob", () => {
  const run = plannedRun("dev");
  expect(run.resources.filter((r) => /Backups|CronJob|s3\/bucket/.test(r.type))).toEqual([]);
});

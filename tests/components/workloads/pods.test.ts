import { cpuCores, memoryBytes } from "../../../settings/formats";
import type { ProgramRun } from "../../harness";
import { plannedRun } from "../../harness/plans";

// The pods as Kubernetes runs them: what the namespace's quota must admit during a rollout at full
// load, and where Next.js writes on a read-only root filesystem.

type Obj = Record<string, any>;
const objects = (run: ProgramRun, kind: string) =>
  run.resources.filter((r) => r.type.endsWith(`:${kind}`) && r.custom).map((r) => r.inputs as Obj);

/**
 * A pod's requests (or limits) as the quota charges them: the containers' sum, or the largest init
 * container if more.
 */
function podRequests(spec: Obj, kind: "requests" | "limits" = "requests"): { cpu: number; memory: number } {
  const sum = (containers: Obj[] = []) =>
    containers.reduce(
      (acc, c) => ({
        cpu: acc.cpu + cpuCores(c.resources[kind].cpu),
        memory: acc.memory + memoryBytes(c.resources[kind].memory),
      }),
      { cpu: 0, memory: 0 },
    );
  const main = sum(spec.containers);
  const init = (spec.initContainers ?? []).map((c: Obj) => sum([c]));
  return {
    cpu: Math.max(main.cpu, ...init.map((i: Obj) => i.cpu)),
    memory: Math.max(main.memory, ...init.map((i: Obj) => i.memory)),
  };
}

describe.each(["staging", "production"])("the pods of %s", (stack) => {
  let run: ProgramRun;
  beforeAll(() => {
    run = plannedRun(stack);
  });

  test("the quota admits every app at its HPA maximum mid-rollout, terminating pods included, plus the Jobs", () => {
    // A rollout adds maxSurge new pods (rounded up); the pods it deletes still count against the
    // quota until their grace period has passed (kubernetes pkg/quota/v1/evaluator/core/pods.go,
    // QuotaV1Pod), and the next batch starts before then: one more surge's worth.
    const hard = objects(run, "ResourceQuota").find((q) => q.metadata.name === "healthflow-quota")!.spec.hard;
    const need = { pods: 0, cpu: 0, memory: 0, limitsCpu: 0, limitsMemory: 0 };
    for (const deployment of objects(run, "Deployment").filter(
      (d) => d.metadata.namespace === "healthflow",
    )) {
      const hpa = objects(run, "HorizontalPodAutoscaler").find(
        (h) => h.spec.scaleTargetRef.name === deployment.metadata.name,
      )!;
      const surgePercent = Number(/^(\d+)%$/.exec(deployment.spec.strategy.rollingUpdate.maxSurge)![1]);
      const surge = Math.ceil((hpa.spec.maxReplicas * surgePercent) / 100);
      const pods = hpa.spec.maxReplicas + surge + surge;
      const each = podRequests(deployment.spec.template.spec);
      const limits = podRequests(deployment.spec.template.spec, "limits");
      need.pods += pods;
      need.cpu += pods * each.cpu;
      need.memory += pods * each.memory;
      need.limitsCpu += pods * limits.cpu;
      need.limitsMemory += pods * limits.memory;
    }
    // The Jobs of the namespace, all at once, one run each (the migrations, the audit set-up, the
    // backup, the restore drill: a 3-hour backup and a 6-hour drill may overlap).
    const inNamespace = (o: Obj) => o.metadata.namespace === "healthflow";
    const jobs = [
      ...objects(run, "Job")
        .filter(inNamespace)
        .map((j) => j.spec.template.spec),
      ...objects(run, "CronJob")
        .filter(inNamespace)
        .map((c) => c.spec.jobTemplate.spec.template.spec),
    ];
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    for (const spec of jobs) {
      const each = podRequests(spec);
      const limits = podRequests(spec, "limits");
      need.pods += 1;
      need.cpu += each.cpu;
      need.memory += each.memory;
      need.limitsCpu += limits.cpu;
      need.limitsMemory += limits.memory;
    }
    expect(Number(hard.pods)).toBeGreaterThanOrEqual(need.pods);
    expect(cpuCores(hard["requests.cpu"])).toBeGreaterThanOrEqual(need.cpu);
    expect(memoryBytes(hard["requests.memory"])).toBeGreaterThanOrEqual(need.memory);
    expect(cpuCores(hard["limits.cpu"])).toBeGreaterThanOrEqual(need.limitsCpu);
    expect(memoryBytes(hard["limits.memory"])).toBeGreaterThanOrEqual(need.limitsMemory);
  });

  test("web on a read-only root: every path Next.js's ISR cache writes is on a volume primed with the build", () => {
    const pod = objects(run, "Deployment").find((d) => d.metadata.name === "healthflow-web")!.spec.template
      .spec;
    const [web] = pod.containers;
    expect(web.securityContext.readOnlyRootFilesystem).toBe(true);
    // Next.js's default cache handler (next/dist/server/lib/incremental-cache/file-system-cache,
    // getFilePath): ISR pages under <distDir>/server/{app,pages}, fetch results under
    // <distDir>/cache/fetch-cache; the image optimizer caches under <distDir>/cache/images.
    const writes = ["server/app", "server/pages", "cache/fetch-cache", "cache/images"].map(
      (p) => `/app/.next/${p}`,
    );
    const mountOf = (file: string) =>
      web.volumeMounts.find((m: Obj) => file === m.mountPath || file.startsWith(`${m.mountPath}/`));
    for (const file of writes) expect([file, mountOf(file)?.name]).toEqual([file, "next"]);
    const mount = mountOf(writes[0]);
    expect(pod.volumes.find((v: Obj) => v.name === mount.name).emptyDir).toBeDefined();
    // The volume would hide the image's build output: an init container of the same image copies
    // it in first, writing nowhere else.
    const [prime] = pod.initContainers;
    expect(prime.image).toBe(web.image);
    const primeMount = prime.volumeMounts.find((m: Obj) => m.name === mount.name);
    expect(prime.command).toEqual(["cp", "-R", `${mount.mountPath}/.`, `${primeMount.mountPath}/`]);
    expect(primeMount.mountPath).not.toBe(mount.mountPath);
    expect(prime.securityContext).toEqual(web.securityContext);
    expect(prime.resources.limits).toBeDefined();
  });
});

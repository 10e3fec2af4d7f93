import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { find } from "../../harness";
import { plannedRun } from "../../harness/plans";
import { nginxBinary, nginxTest } from "../nginx/realNginx";
import { spawnSync } from "child_process";

// The ingress controller drops no connection when one of its pods leaves (scale-in, rollout, node
// drain). Its Service is `externalTrafficPolicy: Local` behind an instance-target NLB: the NLB keeps
// sending a node new connections until the node fails its health check, which kube-proxy fails once
// the node has no ready controller pod. The AWS cloud provider's check for such a Service is HTTP on
// the health-check node port, every 10 s, a 10 s timeout, unhealthy after 2 failures
// (kubernetes/cloud-provider-aws pkg/providers/v1/aws.go, buildNLBHealthCheckConfiguration), unless
// an annotation says otherwise. The controller quits nginx gracefully on SIGTERM
// (nginx/kubernetes-ingress v5.5.4 cmd/nginx-ingress/main.go, handleTermination → nginx -s quit).

const SOURCE_HEALTH_CHECK = { interval: 10, timeout: 10, unhealthyThreshold: 2 };
/** Worst case: the last passing check just before the pod left, then two failing ones, the last timing out. */
const NLB_DRAIN =
  SOURCE_HEALTH_CHECK.interval * SOURCE_HEALTH_CHECK.unhealthyThreshold + SOURCE_HEALTH_CHECK.timeout;
/** The F5 controller's default proxy-read-timeout (docs.nginx.com › ConfigMap resources): ordinary requests end within it. */
const DEFAULT_PROXY_READ_TIMEOUT = 60;

const seconds = (value: string) => {
  const match = /^(\d+)s$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a number of seconds`);
  return Number(match[1]);
};

describe.each(["staging", "production"])("the ingress controller of %s", (stack) => {
  const values = () =>
    (find(plannedRun(stack).resources, "kubernetes:helm.sh/v4:Chart", "nginx-ingress").inputs as any).values
      .controller;

  test("its NLB checks nodes as the cloud provider's defaults say: no annotation changes the check", () => {
    const annotations = Object.keys(values().service.annotations);
    expect(annotations.filter((a) => /healthcheck/.test(a))).toEqual([]);
    expect(values().service.externalTrafficPolicy).toBe("Local");
  });

  test("a leaving pod serves until the NLB has stopped sending it connections, then drains within its grace period", () => {
    const preStop = values().lifecycle.preStop.sleep.seconds;
    expect(preStop).toBeGreaterThan(NLB_DRAIN);
    const shutdown = seconds(values().config.entries["worker-shutdown-timeout"]);
    expect(shutdown).toBeGreaterThanOrEqual(DEFAULT_PROXY_READ_TIMEOUT);
    // The kubelet kills the pod when the grace period ends, pause included: it must hold both.
    expect(values().terminationGracePeriodSeconds).toBeGreaterThan(preStop + shutdown);
  });

  test("a reload's old workers close their WebSockets within the shutdown timeout, not after an hour", () => {
    // /socket.io reads for up to 3600 s (components/workloads/ingress.ts); old workers of every
    // endpoint change would otherwise hold its connections, and their memory, that long.
    expect(seconds(values().config.entries["worker-shutdown-timeout"])).toBeLessThan(3600 / 10);
  });
});

/**
 * The main context of the controller's nginx.conf as its template renders it from the ConfigMap
 * (nginx/kubernetes-ingress v5.5.4 internal/configs/version1/nginx.tmpl, lines 1-25; paths moved
 * into `dir`, the modules the image loads left out).
 */
function controllerMainContext(entries: Record<string, string>, dir: string): string {
  return [
    `worker_processes  ${entries["worker-processes"]};`,
    ...(entries["worker-shutdown-timeout"]
      ? [`worker_shutdown_timeout ${entries["worker-shutdown-timeout"]};`]
      : []),
    "daemon off;",
    `error_log  ${path.join(dir, "error.log")} ${entries["error-log-level"]};`,
    `pid        ${path.join(dir, "nginx.pid")};`,
    "events {",
    `    worker_connections  ${entries["worker-connections"]};`,
    "}",
    "http {",
    "}",
    "",
  ].join("\n");
}

test("a real nginx accepts the rendered worker_shutdown_timeout and reads it as a drain of ordinary requests", () => {
  const entries = (
    find(plannedRun("production").resources, "kubernetes:helm.sh/v4:Chart", "nginx-ingress").inputs as any
  ).values.controller.config.entries;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-controller-conf-"));
  try {
    const file = path.join(dir, "nginx.conf");
    fs.writeFileSync(file, controllerMainContext(entries, dir));
    const verdict = nginxTest(dir, file);
    expect(verdict).toEqual({ status: 0, output: expect.stringContaining("syntax is ok") });
    // nginx -T prints the configuration as it parsed it.
    const dump = spawnSync(nginxBinary(), ["-T", "-p", dir, "-c", file, "-e", path.join(dir, "error.log")], {
      encoding: "utf8",
      timeout: 5000,
    });
    const parsed = /^worker_shutdown_timeout (\d+)s;$/m.exec(dump.stdout);
    expect(Number(parsed?.[1])).toBeGreaterThanOrEqual(DEFAULT_PROXY_READ_TIMEOUT);
    // A value nginx cannot read as a time is refused: the check bites.
    fs.writeFileSync(
      file,
      controllerMainContext({ ...entries, "worker-shutdown-timeout": "60 seconds" }, dir),
    );
    expect(nginxTest(dir, file).status).not.toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

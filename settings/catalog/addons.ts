import type { StackConfig } from "../schema";

/** The `healthflow:cluster.addons` keys. */
export type AddonKey = keyof NonNullable<StackConfig["cluster"]>["addons"];

/** EKS's name of each managed add-on the cluster installs (`aws eks list-addons`). */
export const ADDON_NAMES: Readonly<Record<AddonKey, string>> = {
  vpcCni: "vpc-cni",
  kubeProxy: "kube-proxy",
  podIdentityAgent: "eks-pod-identity-agent",
  coredns: "coredns",
  ebsCsiDriver: "aws-ebs-csi-driver",
  metricsServer: "metrics-server",
};

/**
 * Orders EKS add-on versions ("v1.21.1-eksbuild.3"): the upstream version, then EKS's build
 * number. Negative when a < b, 0 when equal, positive when a > b.
 */
export function compareAddonVersions(a: string, b: string): number {
  const parts = (v: string) => {
    const m = /^v(\d+)\.(\d+)\.(\d+)-eksbuild\.(\d+)$/.exec(v);
    if (!m) throw new Error(`${v} is not an EKS add-on version (v<major>.<minor>.<patch>-eksbuild.<n>)`);
    return m.slice(1).map(Number);
  };
  const [x, y] = [parts(a), parts(b)];
  const first = x.findIndex((n, i) => n !== y[i]);
  return first === -1 ? 0 : x[first] - y[first];
}

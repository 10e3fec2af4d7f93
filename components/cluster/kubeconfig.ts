import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * A kubeconfig for the cluster that fetches short-lived tokens with `aws eks get-token` (so it
 * holds no credential itself); still handled as a secret, as it names the endpoint and CA.
 */
export function kubeconfig(cluster: aws.eks.Cluster, region: string): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.jsonStringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: cluster.name,
          cluster: {
            server: cluster.endpoint,
            "certificate-authority-data": cluster.certificateAuthority.data,
          },
        },
      ],
      contexts: [{ name: cluster.name, context: { cluster: cluster.name, user: cluster.name } }],
      "current-context": cluster.name,
      users: [
        {
          name: cluster.name,
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: "aws",
              args: [
                "eks",
                "get-token",
                "--cluster-name",
                cluster.name,
                "--region",
                region,
                "--output",
                "json",
              ],
            },
          },
        },
      ],
    }),
  );
}

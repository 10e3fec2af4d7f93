import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** A trust policy letting `principal` assume the role. */
export function assumeRolePolicy(
  principal: Record<string, string>,
  actions: string[] = ["sts:AssumeRole"],
): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: principal, Action: actions }],
  });
}

/**
 * A role for EKS Pod Identity: the pod identity agent assumes it for the service account an
 * association names. No OIDC provider, no annotations, no static keys.
 */
export function podIdentityRole(name: string, provider: aws.Provider, parent: pulumi.Resource): aws.iam.Role {
  return new aws.iam.Role(
    `${name}-role`,
    {
      description: `EKS Pod Identity role for ${name}`,
      assumeRolePolicy: assumeRolePolicy({ Service: "pods.eks.amazonaws.com" }, [
        "sts:AssumeRole",
        "sts:TagSession",
      ]),
    },
    { parent, provider },
  );
}

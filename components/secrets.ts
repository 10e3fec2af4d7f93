import * as pulumi from "@pulumi/pulumi";

/**
 * A Kubernetes Secret's `data`: each value base64-encoded, and the whole kept a Pulumi secret.
 * Never `stringData` for our Secrets: the provider updates them in place (enableSecretMutable) with
 * server-side apply, and a key removed from `stringData` then stays in the live Secret, a credential
 * nobody manages any more (kubernetes/kubernetes#108008; kubernetes.io › Secrets: "the stringData
 * field doesn't work well with server-side apply"). `data` is merged and pruned like any field.
 */
export function secretData(values: pulumi.Input<Record<string, pulumi.Input<string>>>) {
  return pulumi.secret(
    pulumi
      .output(values)
      .apply((plain) =>
        Object.fromEntries(
          Object.entries(plain).map(([key, value]) => [key, Buffer.from(value, "utf8").toString("base64")]),
        ),
      ),
  );
}

/**
 * A secret setting a preview goes on without: the preview warns, saying which `pulumi config set
 * --secret` supplies it, and gets an empty secret; an update stops (the settings refuse one first).
 */
export function missingSecretSetting(message: string): pulumi.Output<string> {
  if (!pulumi.runtime.isDryRun()) throw new pulumi.RunError(message);
  pulumi.log.warn(message);
  return pulumi.secret("");
}

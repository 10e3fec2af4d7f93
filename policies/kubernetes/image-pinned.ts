/**
 * An untagged or `latest` image means two pods of the same Deployment can run different code, and a
 * rollback re-pulls whatever `latest` is today. Images carry an explicit version tag or a digest.
 */
import { configSchema, stringList } from "../lib/config";
import { resourcePolicy } from "../lib/define";
import { parseImageReference } from "./image-reference";
import {
  containersOf,
  defaultKubernetesScope,
  describeContainer,
  describeWorkload,
  kubernetesScopeSchema,
  validateWorkloads,
  type KubernetesScope,
} from "./workloads";

interface ImageConfig extends KubernetesScope {
  forbiddenTags: string[];
}

const defaults: ImageConfig = { ...defaultKubernetesScope, forbiddenTags: ["latest"] };

export const imagePinned = resourcePolicy({
  name: "k8s-image-pinned",
  description: "Container images are pinned to an explicit tag (not latest) or a digest.",
  severity: "medium",
  enforcementLevel: "mandatory",
  mirrors: { checkov: ["CKV_K8S_14"], kubeScore: ["container-image-tag"], polaris: ["tagNotSpecified"] },
  tags: ["kubernetes", "supply-chain"],
  remediationSteps: "Reference the image by a release tag (e.g. api:1.4.2) or by digest (api@sha256:...).",
  configSchema: configSchema(kubernetesScopeSchema, {
    forbiddenTags: stringList("Tags that float and therefore do not pin an image.", defaults.forbiddenTags),
  }),
  validateResource: validateWorkloads(defaults, (workload, config, reportViolation) => {
    for (const entry of containersOf(workload.podSpec, { includeInit: true })) {
      const image = entry.container.image ?? "";
      const { tag, digest } = parseImageReference(image);
      if (digest !== undefined) {
        continue;
      }
      const where = `${describeContainer(entry)} of ${describeWorkload(workload)}`;
      if (tag === undefined || tag === "") {
        reportViolation(`Pin image '${image}' of ${where} to a version tag or an @sha256 digest.`);
      } else if (config.forbiddenTags.includes(tag)) {
        reportViolation(
          `Replace tag '${tag}' of image '${image}' (${where}) with a version tag or a digest.`,
        );
      }
    }
  }),
});

import { parseImageReference } from "../../../policies/kubernetes/image-reference";
import { imagePinned } from "../../../policies/kubernetes/image-pinned";
import { probesConfigured } from "../../../policies/kubernetes/probes-configured";
import {
  compliantContainer,
  compliantPodSpec,
  expectLevelFromConfig,
  runRule,
  urnOf,
  workload,
} from "../fixtures";

const withImage = (image: string) =>
  workload("Deployment", "api", compliantPodSpec({ containers: [compliantContainer({ image })] }));

describe("parseImageReference", () => {
  it.each([
    ["nginx", { repository: "nginx" }],
    ["nginx:1.27", { repository: "nginx", tag: "1.27" }],
    ["registry.local:5000/team/app", { repository: "registry.local:5000/team/app" }],
    ["registry.local:5000/team/app:2.0", { repository: "registry.local:5000/team/app", tag: "2.0" }],
    ["ghcr.io/a/b@sha256:abc", { repository: "ghcr.io/a/b", digest: "sha256:abc" }],
  ])("parses %p", (image, expected) => {
    expect(parseImageReference(image)).toEqual({ tag: undefined, digest: undefined, ...expected });
  });
});

describe("k8s-image-pinned", () => {
  it.each([
    "ghcr.io/healthflow/api:1.4.2",
    "ghcr.io/healthflow/api@sha256:0123abcd",
    "ghcr.io/healthflow/api:latest@sha256:0123abcd",
  ])("accepts %p", async (image) => {
    expect((await runRule(imagePinned, [withImage(image)])).violations).toEqual([]);
  });

  it.each([
    [
      "ghcr.io/healthflow/api",
      "Pin image 'ghcr.io/healthflow/api' of container 'api' of Deployment healthflow/api to a version tag or an @sha256 digest.",
    ],
    [
      "registry.local:5000/api",
      "Pin image 'registry.local:5000/api' of container 'api' of Deployment healthflow/api to a version tag or an @sha256 digest.",
    ],
    [
      "ghcr.io/healthflow/api:latest",
      "Replace tag 'latest' of image 'ghcr.io/healthflow/api:latest' (container 'api' of Deployment healthflow/api) with a version tag or a digest.",
    ],
  ])("refuses %p", async (image, message) => {
    expect((await runRule(imagePinned, [withImage(image)])).messages).toEqual([message]);
  });

  // An object without metadata.namespace goes to the provider's `namespace` option, else to "default"
  // (pulumi-kubernetes provider config: "the default namespace to use"; the API server's own default).
  it("names the namespace an object without one lands in", async () => {
    const placed = withImage("ghcr.io/healthflow/api");
    const metadata = { ...(placed.props.metadata as object), namespace: undefined };
    const bare = { ...placed, props: { ...placed.props, metadata } };
    const provider = (type: string) => ({
      urn: urnOf(type, "p"),
      type,
      name: "p",
      props: { namespace: "apps" },
    });
    const message = (namespace: string) =>
      `Pin image 'ghcr.io/healthflow/api' of container 'api' of Deployment ${namespace}/api to a version tag or an @sha256 digest.`;
    const kubernetes = provider("pulumi:providers:kubernetes");
    const aws = provider("pulumi:providers:aws");
    expect(
      (await runRule(imagePinned, [kubernetes, { ...bare, provider: `${kubernetes.urn}::id` }])).messages,
    ).toEqual([message("apps")]);
    expect((await runRule(imagePinned, [aws, { ...bare, provider: `${aws.urn}::id` }])).messages).toEqual([
      message("default"),
    ]);
    expect((await runRule(imagePinned, [bare])).messages).toEqual([message("default")]);
    const blank = { ...kubernetes, props: { namespace: "" } };
    expect((await runRule(imagePinned, [blank, { ...bare, provider: `${blank.urn}::id` }])).messages).toEqual(
      [message("default")],
    );
  });

  it("finds nothing to pin in a pod spec that lists no containers", async () => {
    // containers is required in the API's types; a plan can still hold a spec without it.
    const empty = workload("Deployment", "api", { ...compliantPodSpec(), containers: undefined! });
    expect((await runRule(imagePinned, [empty])).violations).toEqual([]);
  });

  it("refuses a container that names no image (the API server would too)", async () => {
    const resources = [
      workload(
        "Deployment",
        "api",
        compliantPodSpec({ containers: [compliantContainer({ image: undefined })] }),
      ),
    ];
    expect((await runRule(imagePinned, resources)).messages).toEqual([
      "Pin image '' of container 'api' of Deployment healthflow/api to a version tag or an @sha256 digest.",
    ]);
  });

  it("refuses the tags the config calls floating", async () => {
    const resources = [withImage("ghcr.io/healthflow/api:main")];
    expect((await runRule(imagePinned, resources)).violations).toEqual([]);
    expect(
      (await runRule(imagePinned, resources, { forbiddenTags: ["latest", "main"] })).violations,
    ).toHaveLength(1);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(imagePinned, [withImage("api:latest")]);
  });
});

describe("k8s-probes-configured", () => {
  const unprobed = compliantPodSpec({
    containers: [compliantContainer({ readinessProbe: undefined, livenessProbe: undefined })],
  });

  it.each(["Deployment", "StatefulSet", "DaemonSet", "Pod"] as const)(
    "accepts a %s with both probes",
    async (kind) => {
      expect((await runRule(probesConfigured, [workload(kind, "api")])).violations).toEqual([]);
    },
  );

  it.each(["Deployment", "StatefulSet", "DaemonSet", "Pod"] as const)(
    "refuses a %s without probes",
    async (kind) => {
      const { messages } = await runRule(probesConfigured, [workload(kind, "api", unprobed)]);
      expect(messages).toEqual([
        `Add readinessProbe and livenessProbe to container 'api' of ${kind} healthflow/api.`,
      ]);
    },
  );

  it("does not ask run-to-completion workloads for probes", async () => {
    const resources = [
      workload("Job", "migrate", unprobed),
      workload("CronJob", "pg-backup", unprobed),
      workload("Pod", "one-off", { ...unprobed, restartPolicy: "Never" }),
    ];
    expect((await runRule(probesConfigured, resources)).violations).toEqual([]);
  });

  it("does not ask init containers for probes", async () => {
    const podSpec = compliantPodSpec({
      initContainers: [
        compliantContainer({ name: "migrate", readinessProbe: undefined, livenessProbe: undefined }),
      ],
    });
    expect((await runRule(probesConfigured, [workload("Deployment", "api", podSpec)])).violations).toEqual(
      [],
    );
  });

  it("names the one probe that is missing", async () => {
    const podSpec = compliantPodSpec({ containers: [compliantContainer({ livenessProbe: undefined })] });
    const { messages } = await runRule(probesConfigured, [workload("Deployment", "api", podSpec)]);
    expect(messages).toEqual(["Add livenessProbe to container 'api' of Deployment healthflow/api."]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(probesConfigured, [workload("Deployment", "api", unprobed)]);
  });
});

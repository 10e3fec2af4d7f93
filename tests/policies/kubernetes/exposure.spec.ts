import * as k8s from "@pulumi/kubernetes";
import { ingressNoSnippetAnnotations } from "../../../policies/kubernetes/ingress-no-snippet-annotations";
import { loadBalancerServicesAllowed } from "../../../policies/kubernetes/load-balancer-services-allowed";
import { expectLevelFromConfig, resource, runRule } from "../fixtures";

const service = (name: string, namespace: string, type: string) =>
  resource(k8s.core.v1.Service, name, {
    metadata: { name, namespace },
    spec: { type, selector: { app: name }, ports: [{ port: 443, targetPort: 8443 }] },
  });

const ingress = (annotations: Record<string, string>) =>
  resource(k8s.networking.v1.Ingress, "healthflow", {
    metadata: { name: "healthflow", namespace: "healthflow", annotations },
    spec: { ingressClassName: "nginx", rules: [{ host: "app.healthflow.com.br" }] },
  });

describe("k8s-load-balancer-services-allowed", () => {
  const allowIngress = { allowedLoadBalancerServices: ["*/*nginx-ingress-controller"] };

  it("accepts ClusterIP Services and the allowed ingress controller", async () => {
    const resources = [
      service("api", "healthflow", "ClusterIP"),
      service("nginx-ingress-controller", "nginx-ingress", "LoadBalancer"),
    ];
    expect((await runRule(loadBalancerServicesAllowed, resources, allowIngress)).violations).toEqual([]);
  });

  it("refuses any other LoadBalancer Service", async () => {
    const { messages } = await runRule(
      loadBalancerServicesAllowed,
      [service("api", "healthflow", "LoadBalancer")],
      allowIngress,
    );
    expect(messages).toEqual([
      "Change Service healthflow/api to type ClusterIP and route it through the ingress controller; only " +
        "*/*nginx-ingress-controller may be of type LoadBalancer here.",
    ]);
  });

  it("allows nothing until the config names the ingress controller", async () => {
    const resources = [service("nginx-ingress-controller", "nginx-ingress", "LoadBalancer")];
    expect((await runRule(loadBalancerServicesAllowed, resources)).messages).toEqual([
      "Change Service nginx-ingress/nginx-ingress-controller to type ClusterIP and route it through the " +
        "ingress controller; only no Services may be of type LoadBalancer here.",
    ]);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(loadBalancerServicesAllowed, [service("api", "healthflow", "LoadBalancer")]);
  });
});

describe("k8s-ingress-no-snippet-annotations", () => {
  it("accepts ordinary controller annotations", async () => {
    const resources = [
      ingress({ "nginx.org/client-max-body-size": "50m", "cert-manager.io/cluster-issuer": "letsencrypt" }),
    ];
    expect((await runRule(ingressNoSnippetAnnotations, resources)).violations).toEqual([]);
  });

  it.each([
    "nginx.org/server-snippets",
    "nginx.org/location-snippets",
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.ingress.kubernetes.io/server-snippet",
    "nginx.ingress.kubernetes.io/auth-snippet",
  ])("refuses %s", async (annotation) => {
    const { messages } = await runRule(ingressNoSnippetAnnotations, [
      ingress({ [annotation]: "return 200;" }),
    ]);
    expect(messages).toEqual([
      `Remove annotation '${annotation}' from Ingress healthflow/healthflow; snippets inject raw NGINX configuration.`,
    ]);
  });

  it("uses the configured patterns", async () => {
    const resources = [ingress({ "example.com/raw-config": "..." })];
    expect((await runRule(ingressNoSnippetAnnotations, resources)).violations).toEqual([]);
    const custom = await runRule(ingressNoSnippetAnnotations, resources, {
      forbiddenAnnotationPatterns: ["raw-config$"],
    });
    expect(custom.violations).toHaveLength(1);
  });

  it("takes its enforcement level from config", async () => {
    await expectLevelFromConfig(ingressNoSnippetAnnotations, [ingress({ "nginx.org/server-snippets": "x" })]);
  });
});

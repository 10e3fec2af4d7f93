import type * as k8s from "@pulumi/kubernetes";
import type { Settings } from "../../settings";
import { INGRESS_CLASS, TLS_SECRETS } from "../names";
import { literalPattern } from "../nginx/render";
import { appIdentity } from "./spec";

// The Ingresses of the app and api hosts on the F5 NGINX Ingress Controller, with its own
// `nginx.org/*` annotations. The API host is a mergeable master with one minion per rule set,
// because the controller applies annotations per Ingress and refuses two plain Ingresses for one
// host: the auth path gets its own, stricter rate limit; /socket.io gets WebSocket, long
// timeouts and its own limit.

/** One Ingress: its stable name, annotations and spec (the namespace is the caller's). */
export interface IngressDefinition {
  name: string;
  annotations: Record<string, string>;
  spec: k8s.types.input.networking.v1.IngressSpec;
}
type Edge = Settings["edge"];

/**
 * A limit_req as the controller's annotations spell it; rejections answer 429. Each controller
 * replica keeps its own zone, so `limit-req-scale` has the controller divide the rate by its ready
 * replicas (counted on its own Service's EndpointSlice): the limit holds for the whole fleet, not
 * per replica. It is one of the annotations a minion inherits from its master (F5 NGINX Ingress
 * Controller 5.5, internal/configs/annotations.go minionInheritanceList; docs: "Mergeable Ingress
 * Types"), and is set here on every Ingress that sets a rate, so it never depends on inheritance.
 */
export function rateLimitAnnotations(rate: string, burst: number): Record<string, string> {
  return {
    "nginx.org/limit-req-scale": "true",
    "nginx.org/limit-req-rate": rate,
    "nginx.org/limit-req-burst": String(burst),
    "nginx.org/limit-req-no-delay": "true",
    "nginx.org/limit-req-key": "${binary_remote_addr}",
    "nginx.org/limit-req-zone-size": "10m",
    "nginx.org/limit-req-reject-code": "429",
  };
}

function hostAnnotations(edge: Edge): Record<string, string> {
  return {
    "nginx.org/ssl-redirect": "true",
    "nginx.org/hsts": "true",
    "nginx.org/hsts-max-age": "31536000",
    "nginx.org/hsts-include-subdomains": "true",
    "nginx.org/client-max-body-size": `${edge.maxBodySizeMb}m`,
  };
}

const backend = (app: "web" | "api", port: number) => ({
  service: { name: appIdentity(app).name, port: { number: port } },
});

/** Every Ingress of the two hosts, as plain objects (names stable, namespace given). */
export function ingresses(args: {
  edge: Edge;
  hosts: { app: string; api: string };
  ports: { web: number; api: number };
}): IngressDefinition[] {
  const { edge, hosts } = args;
  const general = rateLimitAnnotations(
    `${edge.rateLimits.general.requestsPerSecond}r/s`,
    edge.rateLimits.general.burst,
  );
  const auth = rateLimitAnnotations(
    `${edge.rateLimits.auth.requestsPerMinute}r/m`,
    edge.rateLimits.auth.burst,
  );
  const rule = (host: string, path: string, app: "web" | "api", port: number, pathType = "Prefix") => ({
    host,
    http: { paths: [{ path, pathType, backend: backend(app, port) }] },
  });
  const minion = (
    name: string,
    path: string,
    annotations: Record<string, string>,
    pathType?: string,
  ): IngressDefinition => ({
    name,
    annotations: { "nginx.org/mergeable-ingress-type": "minion", ...annotations },
    spec: {
      ingressClassName: INGRESS_CLASS,
      rules: [rule(hosts.api, path, "api", args.ports.api, pathType)],
    },
  });
  // The auth path in any letter case (NestJS routes /API/V1/AUTH/login to the login handler): the
  // F5 controller turns a minion's path into `location ~* "^<path>"` under `nginx.org/path-regex:
  // case_insensitive` (docs.nginx.com/nginx-ingress-controller, "Ingresses Path Matching Using
  // Path-Regex Annotation"; internal/configs/version1/template_helper.go makePathWithRegex, v5.5.4),
  // so the path is a literal pattern and its type ImplementationSpecific: no longer a Prefix.
  const authMinion = minion(
    "healthflow-api-auth",
    literalPattern(edge.rateLimits.auth.path),
    { ...auth, "nginx.org/path-regex": "case_insensitive" },
    "ImplementationSpecific",
  );
  return [
    {
      name: "healthflow-web",
      annotations: { ...hostAnnotations(edge), ...general },
      spec: {
        ingressClassName: INGRESS_CLASS,
        tls: [{ hosts: [hosts.app], secretName: TLS_SECRETS.app }],
        rules: [rule(hosts.app, "/", "web", args.ports.web)],
      },
    },
    {
      name: "healthflow-api",
      annotations: { ...hostAnnotations(edge), "nginx.org/mergeable-ingress-type": "master" },
      spec: {
        ingressClassName: INGRESS_CLASS,
        tls: [{ hosts: [hosts.api], secretName: TLS_SECRETS.api }],
        rules: [{ host: hosts.api }],
      },
    },
    minion("healthflow-api-root", "/", general),
    authMinion,
    // Its own limit_req, the general rate: socket.io's HTTP long-polling is a stream of ordinary
    // requests (a WebSocket is one), and the edge exempts only `transport=websocket`.
    minion("healthflow-api-socketio", "/socket.io", {
      ...general,
      "nginx.org/websocket-services": appIdentity("api").name,
      "nginx.org/proxy-read-timeout": "3600s",
      "nginx.org/proxy-send-timeout": "3600s",
    }),
  ];
}

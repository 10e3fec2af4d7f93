import * as http from "http";
import type { AddressInfo } from "net";
import { EKS_API_SLOT } from "../../settings/preflight";
import { addonVersionsOffered } from "./awsAnswers";

// A stand-in for the one EKS API call the program makes itself rather than through the provider
// (DescribeAddonVersions, settings/preflight.ts: no provider function lists the versions), answered
// in the API's REST-JSON shape (EKS API reference, DescribeAddonVersions: `GET
// /addons/supported-versions?addonName=&kubernetesVersion=&nextToken=`, a response of `addons[]`
// with their `addonVersions[]`, paginated by `nextToken`). Two versions a page, so a caller that
// reads one page only misses versions. It listens on loopback only; the real AWS SDK talks to it.

/** The versions offered for a Kubernetes version and add-on, newest first (none: EKS has no such add-on). */
export type AddonCatalog = (kubernetesVersion: string, addonName: string) => string[];

let catalog: AddonCatalog = addonVersionsOffered;

/**
 * Answers from `next` until called again without one (then sa-east-1's, tools/engine/awsAnswers.ts);
 * an error `next` throws is sent as EKS sends a refusal (its name the error type).
 */
export function answerAddonVersionsWith(next?: AddonCatalog): void {
  catalog = next ?? addonVersionsOffered;
}

const PAGE = 2;

/** Starts the stand-in; resolves to its URL. It does not keep the process alive. */
export async function startEksApi(): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const send = (status: number, body: object) => {
      response.writeHead(status, { "content-type": "application/json", connection: "close" });
      response.end(JSON.stringify(body));
    };
    if (request.method !== "GET" || url.pathname !== "/addons/supported-versions") {
      send(404, { message: `no route for ${request.method} ${url.pathname}` });
      return;
    }
    const addonName = url.searchParams.get("addonName") ?? "";
    const kubernetesVersion = url.searchParams.get("kubernetesVersion") ?? "";
    let versions: string[];
    try {
      versions = catalog(kubernetesVersion, addonName);
    } catch (e) {
      // A refusal as EKS's REST-JSON protocol sends it: the error's type in a header, its message in the body.
      response.writeHead(403, {
        "content-type": "application/json",
        "x-amzn-errortype": (e as Error).name,
        connection: "close",
      });
      response.end(JSON.stringify({ message: (e as Error).message }));
      return;
    }
    const start = Number(url.searchParams.get("nextToken") ?? 0);
    const page = versions.slice(start, start + PAGE);
    const more = start + PAGE < versions.length;
    send(200, {
      addons: page.length
        ? [
            {
              addonName,
              type: "networking",
              owner: "aws",
              addonVersions: page.map((addonVersion, i) => ({
                addonVersion,
                architecture: ["amd64", "arm64"],
                compatibilities: [
                  { clusterVersion: kubernetesVersion, defaultVersion: start + i === versions.length - 1 },
                ],
                requiresConfiguration: false,
              })),
            },
          ]
        : [],
      ...(more ? { nextToken: String(start + PAGE) } : {}),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

let started: Promise<string> | undefined;

/** This process's stand-in (one per process), as the slot the preflight reads expects it. */
export function eksStandIn(): Promise<string> {
  started ??= startEksApi().then((api) => api.url);
  return started;
}

/** Points the program's own EKS calls at this process's stand-in. */
export function useEksStandIn(): void {
  (globalThis as Record<symbol, unknown>)[EKS_API_SLOT] = eksStandIn();
}

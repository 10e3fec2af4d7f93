import type { ChildProcess } from "child_process";
import * as fs from "fs";
import { SERVERS_KEY } from "./globalSetup";
import { PLANS_DIR_VARIABLE } from "./plans";

export default async function globalTeardown(): Promise<void> {
  const children = ((globalThis as Record<symbol, unknown>)[SERVERS_KEY] ?? []) as ChildProcess[];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill();
        }),
    ),
  );
  const dir = process.env[PLANS_DIR_VARIABLE];
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

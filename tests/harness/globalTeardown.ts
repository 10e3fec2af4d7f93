import type { ChildProcess } from "child_process";
import * as fs from "fs";
import { SERVERS_KEY } from "./globalSetup";

/** Stops the program servers and removes their sockets; the plans stay for the next run (planCache.ts). */
export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as Record<symbol, unknown>)[SERVERS_KEY] as
    { children: ChildProcess[]; sockets: string } | undefined;
  if (!started) return;
  await Promise.all(
    started.children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill();
        }),
    ),
  );
  fs.rmSync(started.sockets, { recursive: true, force: true });
}

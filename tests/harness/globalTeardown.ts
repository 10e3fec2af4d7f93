import { SERVERS_KEY } from "./globalSetup";
import { stopProgramServers, type StartedServers } from "./programs";

/** Stops the program servers and removes their sockets; the plans stay for the next run (planCache.ts). */
export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as Record<symbol, unknown>)[SERVERS_KEY] as StartedServers | undefined;
  if (started) await stopProgramServers(started);
}

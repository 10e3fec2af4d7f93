import { RegisteredResource, SECRET_SIG, SIG_KEY } from "../../tools/engine/engine";

export { runProgram } from "./programs";
export type { ProgramRun, RegisteredResource } from "../../tools/engine/engine";

/** Resources of one type token (e.g. "docker:index/container:Container"). */
export function ofType(resources: RegisteredResource[], type: string): RegisteredResource[] {
  return resources.filter((r) => r.type === type);
}

/** The one resource with this type and name; fails the test when it is missing. */
export function find(resources: RegisteredResource[], type: string, name: string): RegisteredResource {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (!found)
    throw new Error(
      `no ${type} named ${name}; have: ${ofType(resources, type)
        .map((r) => r.name)
        .join(", ")}`,
    );
  return found;
}

/** True when a wire value is a Pulumi secret. */
export function isSecret(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

/** Seconds of a Go duration as Pulumi's customTimeouts take it ("20m", "1h30m", "90s"). */
export function goDurationSeconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  if (parts.map((p) => p[0]).join("") !== duration) throw new Error(`"${duration}" is not a Go duration`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit]!, 0);
}

/** A Secret's values as registered: its `data` (a Pulumi secret) decoded from base64. */
export function secretValues(inputs: Record<string, unknown>): Record<string, string> {
  const data = inputs.data as { value?: Record<string, string> } | undefined;
  if (!isSecret(data)) throw new Error("the Secret's data is not a Pulumi secret");
  return Object.fromEntries(
    Object.entries(data!.value ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value, "base64").toString("utf8"),
    ]),
  );
}

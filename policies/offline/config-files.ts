// Which policy config file a stack runs with, apart from the pack (fs and path only), so that
// `npm run -s policy-config` answers the workflows without loading the Pulumi SDKs.
import * as fs from "fs";
import * as path from "path";

/** policies/config/: one file per environment, and any stack's own. */
export const configDirectory = path.join(__dirname, "..", "config");

/** A policy config that is missing or wrong: a problem of the stack's files, not of the pack. */
export class PolicyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyConfigError";
  }
}

/**
 * The policy config a stack runs with: `policies/config/<stack>.json` when the stack has its own, else its
 * environment's (`policies/config/<environment>.json`), so a new stack (a review environment `pr-42` copied
 * from staging) gets its environment's levels and limits without a file of its own. Returns the file's name
 * without `.json`.
 */
export function policyConfigName(stack: string, environment: string, directory = configDirectory): string {
  const name = [stack, environment].find((candidate) =>
    fs.existsSync(path.join(directory, `${candidate}.json`)),
  );
  if (name === undefined) {
    const files = fs.existsSync(directory)
      ? fs.readdirSync(directory).filter((f) => f.endsWith(".json"))
      : [];
    throw new PolicyConfigError(
      `No policy config for stack '${stack}' (environment '${environment}'): neither ${stack}.json nor ` +
        `${environment}.json exists in ${directory} (there are: ${files.join(", ") || "none"}). A stack uses its ` +
        `environment's file unless it has its own.`,
    );
  }
  return name;
}

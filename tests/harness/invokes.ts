import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../settings";
import type { InvokeAnswer } from "../../tools/engine/awsAnswers";
import { useEksStandIn } from "../../tools/engine/eksApi";

/**
 * Pulumi's mocks for a test of a preflight, through the SDK's real invoke path: every provider
 * function is answered by the answers last set with the returned function (an unknown one fails);
 * EKS's own API by the loopback stand-in (tools/engine/eksApi.ts).
 */
export function mockInvokes(stack: string): (answers: Record<string, InvokeAnswer>) => void {
  let current: Record<string, InvokeAnswer> = {};
  beforeAll(async () => {
    // The preflight's own EKS call (DescribeAddonVersions) goes to the loopback stand-in.
    useEksStandIn();
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => {
          const answer = current[args.token];
          if (!answer) throw new Error(`no answer for ${args.token}`);
          return answer(args.inputs);
        },
      },
      "healthflow",
      stack,
      true,
    );
  });
  return (answers) => {
    current = answers;
  };
}

/**
 * The one message a failing preflight gives, checked for what every such message has: a ConfigError
 * whose first line matches `heading`, and no stack trace.
 */
export async function preflightMessage(run: Promise<unknown>, heading: RegExp): Promise<string> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as Error).message;
  expect(message).toMatch(heading);
  expect(message).not.toMatch(/\n\s+at /);
  return message;
}

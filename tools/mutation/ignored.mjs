// Mutants set aside from the mutation score (stryker.config.mjs), each with its reason: equivalent
// mutants (the change cannot alter what the program does) and cosmetic ones (text only a person
// reads). A mutant that changes behaviour is never listed here: a test kills it instead.
//
// Each entry names the file, a snippet of the source that is mutated (a node whose source text
// contains it, in that file), optionally the mutators concerned, and why.
import { declareValuePlugin, PluginKind } from "@stryker-mutator/api/plugin";

/** @type {{ file: string; code: string; mutators?: string[]; reason: string }[]} */
export const MUTATION_IGNORED = [];

const normalized = (file) => file.replaceAll("\\", "/");

/** The entry that sets aside the node at `path` (a babel NodePath), when one does. */
function entryFor(path) {
  const file = normalized(path.hub?.file?.opts?.filename ?? path.node.loc?.filename ?? "");
  if (!file) return undefined;
  const source = path.getSource?.() ?? "";
  return MUTATION_IGNORED.find(
    (entry) =>
      file.endsWith(`/${entry.file}`) &&
      source.includes(entry.code) &&
      source.length <= entry.code.length + 40,
  );
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "healthflow", {
    shouldIgnore(path) {
      if (process.env.HEALTHFLOW_MUTATION_DEBUG === "1" && path.isStringLiteral?.())
        process.stderr.write(
          `ignorer: ${path.hub?.file?.opts?.filename} | ${path.node.loc?.filename} | ${path.getSource?.()}\n`,
        );
      const entry = entryFor(path);
      return entry ? entry.reason : undefined;
    },
  }),
];

// `npm run static`: the type-check and the lint of `npm run check` in one process, on one TypeScript
// program. `npm run typecheck` (tsc) and `npm run lint` (eslint, prettier) each build the program
// from scratch, and it is most of their time: the AWS SDK's declarations alone are over a million
// lines, about 6 s to parse and bind on two cores. Here tsc's incremental builder builds it once,
// reports tsc's diagnostics, and hands the same program to the type-aware lint (typescript-eslint's
// `parserOptions.programs`); the rest of the lint needs no types and keeps ESLint's cache.
// Exit 1 when any of them finds a problem; what each found is printed as its own command prints it.
//
// package.json runs it with --max-semi-space-size=64: building the program keeps most of what it
// allocates, and a larger young generation copies survivors less often (about 1 s less of GC).
//
// Up to date: like `tsc --build`, a run whose inputs are the last clean run's (every project file
// the program read, the config files, the installed packages' lockfiles) builds nothing and says
// so (tools/staticStamp.ts). Any change to any of them, a new file included, runs everything again.
import { spawn } from "child_process";
import * as path from "path";
import * as ts from "typescript";
import { ESLint } from "eslint";
import { recordClean, upToDate } from "./staticStamp";

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache");

const STAMP = path.join(CACHE, "healthflow-static", "clean.json");

/** tsc --noEmit --incremental, as `npm run typecheck` runs it: the program and what tsc would print. */
function typecheck(): { program: ts.Program; problems: string } {
  const fail = (diagnostic: ts.Diagnostic) => {
    throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, "tsconfig.json"),
    { noEmit: true, incremental: true, tsBuildInfoFile: path.join(CACHE, "healthflow-tsc", "tsbuildinfo") },
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: fail },
  );
  if (!parsed) throw new Error("tsconfig.json could not be read");
  const host = ts.createIncrementalCompilerHost(parsed.options);
  // As tsc itself reads: JSDoc only where it carries types (JavaScript files), not in the SDKs' docs.
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  const builder = ts.createIncrementalProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
    projectReferences: parsed.projectReferences,
    host,
  });
  // The order tsc reports in (emitFilesAndReportErrors): semantic problems only without syntax ones.
  let diagnostics: readonly ts.Diagnostic[] = [
    ...builder.getConfigFileParsingDiagnostics(),
    ...builder.getOptionsDiagnostics(),
    ...builder.getSyntacticDiagnostics(),
  ];
  if (diagnostics.length === 0)
    diagnostics = [...builder.getGlobalDiagnostics(), ...builder.getSemanticDiagnostics()];
  builder.emit(); // with noEmit, only the build info: the next run re-checks only what changed
  const formatHost: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => "\n",
  };
  const sorted = ts.sortAndDeduplicateDiagnostics(diagnostics);
  const problems = process.stdout.isTTY
    ? ts.formatDiagnosticsWithColorAndContext(sorted, formatHost)
    : ts.formatDiagnostics(sorted, formatHost);
  return { program: builder.getProgram(), problems };
}

/** ESLint's report of `results`, or "" when they hold no problem. */
async function report(eslint: ESLint, results: ESLint.LintResult[]): Promise<string> {
  if (results.every((result) => result.errorCount === 0 && result.warningCount === 0)) return "";
  return (await eslint.loadFormatter("stylish")).format(results) as string;
}

/** eslint.config.mjs names the files its type-aware rules read types in. */
async function typeAwareFiles(): Promise<string[]> {
  return ((await import(path.join(ROOT, "eslint.config.mjs"))) as { typeAwareFiles: string[] })
    .typeAwareFiles;
}

/** ESLint on the files with type-aware rules, on `program`. Never cached per file: their results
 * depend on other files' types, which a per-file cache cannot follow. */
async function lintTyped(program: ts.Program): Promise<string> {
  const files = await typeAwareFiles();
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfig: [
      { files, languageOptions: { parserOptions: { projectService: false, programs: [program] } } },
    ],
  });
  return report(eslint, await eslint.lintFiles(files));
}

/** ESLint on every other file, through ESLint's cache (their rules read only the file itself). */
async function lintUntyped(): Promise<string> {
  const eslint = new ESLint({
    cwd: ROOT,
    ignorePatterns: await typeAwareFiles(),
    cache: true,
    cacheLocation: path.join(CACHE, "healthflow-eslint", "cache"),
    cacheStrategy: "content",
  });
  return report(eslint, await eslint.lintFiles(["."]));
}

/** prettier --check, as `npm run lint` runs it, in a process of its own beside the rest. */
function prettier(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        require.resolve("prettier/bin/prettier.cjs"),
        ...["--check", "--cache", "--cache-location", path.join(CACHE, "healthflow-prettier", "cache"), "."],
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve(code === 0 ? "" : output));
  });
}

async function main(): Promise<number> {
  const formatting = prettier();
  const found: Record<string, string> = {};
  if (upToDate(ROOT, STAMP)) {
    process.stdout.write("static: no input changed since the last clean type-check and type-aware lint\n");
  } else {
    const { program, problems } = typecheck();
    found.typecheck = problems;
    found["type-aware lint"] = await lintTyped(program);
    if (!found.typecheck && !found["type-aware lint"])
      recordClean(
        ROOT,
        STAMP,
        program.getSourceFiles().map((file) => file.fileName),
      );
  }
  found.eslint = await lintUntyped();
  found.prettier = await formatting;
  let status = 0;
  for (const [part, text] of Object.entries(found)) {
    if (!text) continue;
    process.stdout.write(`${text.trimEnd()}\n`);
    process.stderr.write(`static: ${part} found problems\n`);
    status = 1;
  }
  return status;
}

main().then(
  (status) => process.exit(status),
  (e: unknown) => {
    process.stderr.write(`static: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(2);
  },
);

// The `saga` command: validate, compile, graph, schema and contracts. Output goes through `io`
// so the logic is testable; cli.ts binds it to the process.
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { ParseArgsOptionsConfig } from "node:util";
import { contractsJsonSchema, serviceContracts } from "@sagaworks/contracts";
import { renderMermaid, sagaDefinitionJsonSchema } from "@sagaworks/saga-definition";
import {
  checkDefinitionFile,
  checkDefinitionFiles,
  crossFileProblems,
  type FileProblem,
} from "@sagaworks/saga-definition/files";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { display, parse } from "./cli-args.ts";
import { type CliIo, ExitCode } from "./cli-io.ts";
import { diffCommand } from "./diff-command.ts";
import { CliErrorCode, CliErrors, FileProblemCode } from "./errors.ts";
import { exploreCommand } from "./explore-command.ts";
import { formatJsonText } from "./json-text.ts";

export { type CliIo, ExitCode };

/**
 * Default folder of definitions and of the generated JSON Schema: the repository's
 * saga-definitions/, as that package says where it is (so the CLI finds it from any folder).
 */
export const DEFAULT_DEFINITIONS_DIR = sagaDefinitionsDir;
/** How help text names the default folder. */
const DEFAULT_DIR_TEXT = "saga-definitions";
/** File name of the generated JSON Schema, next to the definitions. */
export const SCHEMA_FILE_NAME = "saga-definition.schema.json";

const USAGE = `Usage: saga <command> [options]

Commands:
  validate [files or folders…] [--json]   Check definitions (default: ${DEFAULT_DIR_TEXT}/)
  compile <file>                          Print the compiled saga as JSON
  graph <file> [--out file.mmd]           Print (or write) the Mermaid state diagram
  schema [--out file] [--check]           Print (or write, or check) the definition JSON Schema
  contracts [--out file]                  Print (or write) the service contracts as JSON Schema
  diff [files or folders…] --against <ref> Compare definitions with a git commit (CI: the merge base)
  explore <file> [--input json] [--json]  Play every combination of step outcomes; report bad paths

Options:
  --help, -h                              Show help (of a command: saga <command> --help)
  --version                               Print the CLI's version

Exit status: 0 when everything is valid, 1 when problems were found, 2 on bad usage.
Machine output (--json, compile, graph, schema, contracts) goes to stdout; everything else to stderr.
`;

const COMMAND_USAGE: Record<string, string> = {
  validate: `Usage: saga validate [files or folders…] [--json]

Checks every *.saga.json file (default: ${DEFAULT_DIR_TEXT}/) and prints each problem as
file:line:col CODE message. --json prints one JSON report on stdout instead.
Exit status: 0 valid, 1 problems found, 2 bad usage.
`,
  compile: `Usage: saga compile <file>

Prints the compiled saga as JSON on stdout; problems go to stderr (exit 1).
`,
  graph: `Usage: saga graph <file> [--out file.mmd]

Prints (or writes) the Mermaid state diagram of the compiled saga.
`,
  schema: `Usage: saga schema [--out file] [--check]

Prints (or writes) the JSON Schema of the definition format; --check compares it with the file
(default: ${DEFAULT_DIR_TEXT}/${SCHEMA_FILE_NAME}) and exits 1 when it is out of date.
`,
  contracts: `Usage: saga contracts [--out file]

Prints (or writes) the services' commands, replies and endpoints as JSON Schema.
`,
  diff: `Usage: saga diff [files or folders…] --against <git ref> [--json]
                 [--orchestrator-url <url>] [--allow CODE[,CODE…]]

Compiles every *.saga.json file (default: ${DEFAULT_DIR_TEXT}/) as it is now and as it was at
<git ref> (read with git show; the contracts too, when they changed since), and prints each
finding as file:line:col CODE severity: message, located in the new file:
  errors  SAGA_VERSION_NOT_BUMPED (the orchestrator would refuse to start), SAGA_VERSION_LOWERED,
          SAGA_INPUT_NARROWED (start requests valid before are refused),
          SAGA_CONTRACT_BREAKS_IN_FLIGHT (today's contracts no longer fit the base version, which
          may still have sagas in flight), and any problem saga validate reports
  notes   steps added, removed or reordered, the pivot moved, changed compensations, outcomes,
          retries, timeouts and mappings, a saga added or removed
--orchestrator-url <url> also reports the sagas in flight per version, status and state
(GET /sagas/in-flight with ORCHESTRATOR_API_TOKEN); a contract break under a version with none
in flight is then a note. --allow turns the named codes into notes. --json prints one JSON report.
Exit status: 0 no errors, 1 errors found, 2 bad usage (no --against, an unknown ref, not a git
repository).
`,
  explore: `Usage: saga explore <file> [--input <json> | --input-file <file>] [--json]

Runs the compiled saga through every combination of the outcomes of its steps (each reply, each
business failure, non-retryable failures, retries exhausted, a timeout answered late, duplicates,
the deadline) with the engine and a fake clock, and prints every path that ends anywhere but
completed, compensated or needs-intervention, compensates a step that never ran, or compensates
past the pivot. The input defaults to {}. The same as exploreSaga of
@sagaworks/saga-engine/testing. Exit status: 0 clean, 1 bad paths or an invalid file, 2 bad usage.
`,
};

function formatProblem(problem: FileProblem): string {
  return `${problem.file}:${problem.line}:${problem.column} ${problem.code} ${problem.message} (at ${problem.pointer})`;
}

function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (CliErrors.is(error)) {
      io.stderr(`${error.code}: ${error.message}\n\n${USAGE}`);
      return ExitCode.usage;
    }
    throw error;
  }
}

async function cliVersion(): Promise<string> {
  const text = await readFile(new URL("../package.json", import.meta.url), "utf8");
  return String((JSON.parse(text) as { version?: unknown }).version);
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--version" || command === "-v") {
    io.stdout(`saga ${await cliVersion()}\n`);
    return ExitCode.ok;
  }
  const help = command !== undefined && Object.hasOwn(COMMAND_USAGE, command);
  if (help && (rest.includes("--help") || rest.includes("-h"))) {
    io.stdout(COMMAND_USAGE[command] as string);
    return ExitCode.ok;
  }
  switch (command) {
    case "validate":
      return validate(rest, io);
    case "compile":
      return compile(rest, io);
    case "graph":
      return graph(rest, io);
    case "schema":
      return schema(rest, io);
    case "contracts":
      return contracts(rest, io);
    case "diff":
      return diffCommand(rest, io);
    case "explore":
      return exploreCommand(rest, io);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      io.stdout(USAGE);
      return command === undefined ? ExitCode.usage : ExitCode.ok;
    default:
      throw CliErrors.create(CliErrorCode.usage, `Unknown command "${command}".`);
  }
}

async function validate(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean", default: false } });
  const targets = positionals.length > 0 ? positionals : [DEFAULT_DEFINITIONS_DIR];
  // Checked together: a saga that starts another is checked against it.
  const { files, results } = await checkDefinitionFiles(
    targets.map((target) => resolve(io.cwd, target)),
    { contracts: serviceContracts, display: (file) => display(io, file) },
  );
  const extra = crossFileProblems(results);
  if (files.length === 0) {
    extra.push({
      code: FileProblemCode.noDefinitionsFound,
      message: `No *.saga.json files in ${targets.join(", ")}; pass files or folders that hold definitions.`,
      file: targets.join(","),
      line: 1,
      column: 1,
      path: [],
      pointer: "$",
    });
  }
  const problems = [...results.flatMap((result) => result.problems), ...extra];
  if (values.json) {
    io.stdout(
      toJson({
        ok: problems.length === 0,
        files: results.map((result) => ({
          file: result.file,
          ok: result.problems.length === 0 && !extra.some((p) => p.file === result.file),
          saga: result.saga
            ? { name: result.saga.name, version: result.saga.version, hash: result.saga.hash }
            : null,
        })),
        problems,
      }),
    );
    return problems.length === 0 ? ExitCode.ok : ExitCode.problems;
  }
  for (const problem of problems) io.stdout(`${formatProblem(problem)}\n`);
  if (files.length === 0) {
    io.stderr("✗ no definition files found\n");
    return ExitCode.problems;
  }
  if (problems.length > 0) {
    const failing = new Set(problems.map((problem) => problem.file)).size;
    io.stderr(`✗ ${problems.length} problem(s) in ${failing} of ${files.length} file(s)\n`);
    return ExitCode.problems;
  }
  const names = results.map((result) => `${result.saga?.name} v${result.saga?.version}`);
  io.stdout(`OK ${files.length} saga definition(s) valid: ${names.join(", ")}\n`);
  return ExitCode.ok;
}

async function compileOne(argv: readonly string[], io: CliIo, extra: ParseArgsOptionsConfig = {}) {
  const parsed = parse(argv, extra);
  const [file, ...more] = parsed.positionals;
  if (!file || more.length > 0) {
    throw CliErrors.create(CliErrorCode.usage, "Pass exactly one definition file.");
  }
  const result = await checkDefinitionFile(resolve(io.cwd, file), {
    contracts: serviceContracts,
    displayName: display(io, file),
  });
  if (!result.saga || result.problems.length > 0) {
    for (const problem of result.problems) io.stderr(`${formatProblem(problem)}\n`);
    return { saga: undefined, values: parsed.values };
  }
  return { saga: result.saga, values: parsed.values };
}

async function compile(argv: readonly string[], io: CliIo): Promise<number> {
  const { saga } = await compileOne(argv, io);
  if (!saga) return ExitCode.problems;
  io.stdout(toJson(saga));
  return ExitCode.ok;
}

async function writeOrPrint(io: CliIo, out: unknown, text: string, what: string) {
  if (typeof out === "string") {
    await writeFile(resolve(io.cwd, out), text, "utf8");
    io.stderr(`wrote ${what} to ${out}\n`);
  } else {
    io.stdout(text);
  }
}

async function graph(argv: readonly string[], io: CliIo): Promise<number> {
  const { saga, values } = await compileOne(argv, io, { out: { type: "string" } });
  if (!saga) return ExitCode.problems;
  await writeOrPrint(io, values.out, renderMermaid(saga), "the diagram");
  return ExitCode.ok;
}

async function schema(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: "string" },
    check: { type: "boolean", default: false },
  });
  if (positionals.length > 0)
    throw CliErrors.create(CliErrorCode.usage, "schema takes no file; use --out.");
  const text = formatJsonText(sagaDefinitionJsonSchema());
  if (values.check) {
    const target =
      typeof values.out === "string"
        ? values.out
        : `${DEFAULT_DEFINITIONS_DIR}/${SCHEMA_FILE_NAME}`;
    const current = await readFile(resolve(io.cwd, target), "utf8").catch(() => undefined);
    // Compare as data: the formatter may lay the file out differently from JSON.stringify.
    const same =
      current !== undefined &&
      JSON.stringify(JSON.parse(current)) === JSON.stringify(JSON.parse(text));
    if (!same) {
      io.stdout(
        `${target}:1:1 ${FileProblemCode.schemaOutdated} The JSON Schema is out of date with the format: run \`node scripts/bootstrap.mjs saga schema --out ${target}\`.\n`,
      );
      return ExitCode.problems;
    }
    io.stdout(`OK ${target} is up to date\n`);
    return ExitCode.ok;
  }
  await writeOrPrint(io, values.out, text, "the JSON Schema");
  return ExitCode.ok;
}

async function contracts(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { out: { type: "string" } });
  await writeOrPrint(
    io,
    values.out,
    formatJsonText(contractsJsonSchema()),
    "the contracts' JSON Schema",
  );
  return ExitCode.ok;
}

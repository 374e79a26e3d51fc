// `saga explore <file>`: the test kit's exploration (`exploreSaga` of
// @sagaworks/saga-engine/testing) from the command line, for a definition that has no test yet.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import type { JsonValue } from "@sagaworks/saga-definition";
import { checkDefinitionFile } from "@sagaworks/saga-definition/files";
import { exploreSaga, formatExploration } from "@sagaworks/saga-engine/testing";
import { display, parse } from "./cli-args.ts";
import { type CliIo, ExitCode } from "./cli-io.ts";
import { CliErrorCode, CliErrors } from "./errors.ts";

function parseInput(text: string, where: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw CliErrors.create(
      CliErrorCode.usage,
      `${where} is not JSON (${(error as Error).message}); pass the saga's input, e.g. --input '{"orderId":"o-1"}'.`,
    );
  }
}

/** Runs `saga explore`; returns the exit status. */
export async function exploreCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, {
    input: { type: "string" },
    "input-file": { type: "string" },
    json: { type: "boolean", default: false },
  });
  const [file, ...more] = positionals;
  if (!file || more.length > 0) {
    throw CliErrors.create(CliErrorCode.usage, "Pass exactly one definition file.");
  }
  if (typeof values.input === "string" && typeof values["input-file"] === "string") {
    throw CliErrors.create(CliErrorCode.usage, "Pass --input or --input-file, not both.");
  }
  const inputFile = values["input-file"];
  const input =
    typeof values.input === "string"
      ? parseInput(values.input, "--input")
      : typeof inputFile === "string"
        ? parseInput(await readFile(resolve(io.cwd, inputFile), "utf8"), inputFile)
        : {};
  const result = await checkDefinitionFile(resolve(io.cwd, file), {
    contracts: serviceContracts,
    displayName: display(io, file),
  });
  if (!result.saga || result.problems.length > 0) {
    for (const problem of result.problems) {
      io.stderr(
        `${problem.file}:${problem.line}:${problem.column} ${problem.code} ${problem.message}\n`,
      );
    }
    return ExitCode.problems;
  }
  const report = exploreSaga(result.saga, { input });
  const clean = report.violations.length === 0 && !report.truncated;
  if (values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout(`${formatExploration(report)}\n`);
  return clean ? ExitCode.ok : ExitCode.problems;
}

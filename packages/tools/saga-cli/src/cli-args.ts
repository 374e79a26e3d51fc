// Reading a command line and showing paths, shared by the commands.
import { isAbsolute, relative, resolve } from "node:path";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import type { CliIo } from "./cli-io.ts";
import { CliErrorCode, CliErrors } from "./errors.ts";

/** Parses a command's arguments strictly; a bad one is a usage error (exit 2). */
export function parse(argv: readonly string[], options: ParseArgsOptionsConfig) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw CliErrors.create(CliErrorCode.usage, (error as Error).message, {}, { cause: error });
  }
}

/** A path as the user would write it: relative to the working directory when inside it. */
export function display(io: CliIo, file: string): string {
  const shown = relative(io.cwd, resolve(io.cwd, file));
  return shown.startsWith("..") || isAbsolute(shown) ? file : shown;
}

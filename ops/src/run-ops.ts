// The `ops` command: dispatches to a command group and maps errors to exit statuses.
import { readFileSync } from "node:fs";
import { ciGroup } from "./ci/group.ts";
import { type CommandGroup, ExitCode, type OpsIo, UsageError } from "./command.ts";
import { dlqCommands } from "./dlq/command.ts";
import { retentionCommands } from "./retention/command.ts";
import { sagasCommands } from "./sagas/command.ts";

/** Every command group, in the order `ops --help` lists them. Add a group here. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  sagasCommands,
  retentionCommands,
  dlqCommands,
  ciGroup,
];

function version(): string {
  const file = new URL("../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

function usage(groups: readonly CommandGroup[]): string {
  const width = Math.max(8, ...groups.map((group) => group.name.length));
  const lines = groups.map((group) => `  ${group.name.padEnd(width)}  ${group.summary}`);
  return [
    "Usage: ops <command> [sub-command] [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Every command takes --help. Read commands take --json.",
    "Exit status: 0 ok, 1 findings or failure, 2 bad usage.",
    "",
  ].join("\n");
}

/** Runs `ops` with `argv` (without node and script) and returns the exit status. */
export async function runOps(
  argv: readonly string[],
  io: OpsIo,
  groups: readonly CommandGroup[] = COMMAND_GROUPS,
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    (first === undefined ? io.stderr : io.stdout)(usage(groups));
    return first === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (first === "--version" || first === "-V") {
    io.stdout(`${version()}\n`);
    return ExitCode.ok;
  }
  const group = groups.find((candidate) => candidate.name === first);
  if (!group) {
    io.stderr(`ops: unknown command "${first}".\n\n${usage(groups)}`);
    return ExitCode.usage;
  }
  if (rest[0] === "--help" || rest[0] === "-h") {
    io.stdout(group.usage);
    return ExitCode.ok;
  }
  try {
    return await group.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`ops ${group.name}: ${error.message}\n\n${group.usage}`);
      return ExitCode.usage;
    }
    // parseArgs reports unknown options and missing values as TypeErrors with a code.
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_")) {
      io.stderr(`ops ${group.name}: ${(error as Error).message}\n\n${group.usage}`);
      return ExitCode.usage;
    }
    io.stderr(`ops ${group.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.failure;
  }
}

// The contract between the `ops` entry point and each command group (dlq, sagas, ci…). A group
// lives in its own folder and is registered once in run-ops.ts.

/** Where a command writes, what it reads, and where relative paths start. */
export interface OpsIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** True when stdout is a terminal: progress bars and colour only then. */
  isTty: boolean;
}

/** Exit statuses shared by every command: 0 ok, 1 findings or failure, 2 bad usage. */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

/** A usage mistake (unknown option, missing argument): printed with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A group of sub-commands under one name, e.g. `ops dlq list`. */
export interface CommandGroup {
  name: string;
  /** One line for `ops --help`. */
  summary: string;
  /** Full usage text of the group, printed by `ops <group> --help`. */
  usage: string;
  /** Runs `argv` (after the group name) and returns the exit status. */
  run(argv: readonly string[], io: OpsIo): Promise<number>;
}

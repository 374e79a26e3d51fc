// What every command of the CLI writes to and reads from, so the commands are testable without
// a process; cli.ts binds it to the real one.

/** Where the CLI writes, which directory relative paths start from, and its environment. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  /** The environment (`ORCHESTRATOR_API_TOKEN` for `saga diff --orchestrator-url`); default none. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Exit statuses: 0 fine, 1 problems found, 2 bad usage. */
export const ExitCode = { ok: 0, problems: 1, usage: 2 } as const;

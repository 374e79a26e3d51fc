// How the ci commands run other programs (git, pnpm, docker). One interface so that tests swap
// the real processes for a recorder, and the commands never go through a shell.
import { spawn } from "node:child_process";
import { CiErrorCode, ciError } from "../errors.ts";

/** What a finished program returned. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Options of one program run. */
export interface RunOptions {
  cwd?: string;
  /** Extra environment, merged over the runner's own. */
  env?: Record<string, string | undefined>;
  /** Written to the program's stdin, then stdin is closed (docker login --password-stdin). */
  stdin?: string;
}

/**
 * Runs a program with arguments (no shell) and resolves with its exit code and output. Never
 * rejects on a non-zero exit: callers decide what a failure means. Rejects only when the program
 * cannot be started at all.
 */
export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/** Runs real processes with the given base environment (default: this process's). */
export function processRunner(baseEnv: NodeJS.ProcessEnv = process.env): CommandRunner {
  return {
    run(command, args, options = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(command, args, {
          cwd: options.cwd,
          env: { ...baseEnv, ...options.env },
          stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
          stdout += chunk;
        });
        child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
          stderr += chunk;
        });
        child.on("error", (error) =>
          reject(
            ciError(CiErrorCode.commandFailed, `could not start ${command}: ${error.message}`, {
              details: { command, args },
              cause: error,
            }),
          ),
        );
        child.on("close", (code, signal) =>
          resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr }),
        );
        if (child.stdin) {
          // A program that exits without reading its stdin closes the pipe: not an error here,
          // its exit code tells what happened.
          child.stdin.on("error", () => {});
          child.stdin.end(options.stdin);
        }
      });
    },
  };
}

/** Runs a program and throws a CiError carrying its stderr when it exits non-zero. */
export async function runChecked(
  runner: CommandRunner,
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await runner.run(command, args, options);
  if (result.exitCode !== 0) {
    const output = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-20).join("\n");
    throw ciError(
      CiErrorCode.commandFailed,
      `${command} ${args.join(" ")} exited with ${result.exitCode}${output ? `:\n${output}` : ""}`,
      { details: { command, args, exitCode: result.exitCode } },
    );
  }
  return result.stdout;
}

/** One program run seen by a RecordingRunner. */
export interface RecordedCall {
  command: string;
  args: readonly string[];
  options: RunOptions;
}

/**
 * A CommandRunner for tests: records every call and answers from a handler (default: exit 0 with
 * no output). Used where the real program (docker) cannot run.
 */
export class RecordingRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  private readonly handler: (call: RecordedCall) => Partial<CommandResult>;

  constructor(handler: (call: RecordedCall) => Partial<CommandResult> = () => ({})) {
    this.handler = handler;
  }

  async run(
    command: string,
    args: readonly string[],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    const call = { command, args: [...args], options };
    this.calls.push(call);
    return { exitCode: 0, stdout: "", stderr: "", ...this.handler(call) };
  }
}

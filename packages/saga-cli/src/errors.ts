// The one error module of the saga CLI: the error it throws for bad usage, and (re-exported) the
// codes of the problems it reports about files.

// File-level problem codes live with the definition loader, which the orchestrator shares.
export { FileProblemCode } from "@sagaworks/saga-definition/files";

/** Stable codes of the errors the CLI throws. */
export const CliErrorCode = {
  usage: "CLI_USAGE",
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

/** Bad command line: the message says what to type instead; exits with status 2. */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: CliErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CliError";
    this.code = code;
    this.details = details;
  }
}

// The one error module of the saga CLI: the error it throws for bad usage, and (re-exported) the
// codes of the problems it reports about files.
import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

// File-level problem codes live with the definition loader, which the orchestrator shares.
export { FileProblemCode } from "@sagaworks/saga-definition/files";

/** The errors the CLI throws. A `CLI_USAGE` error means a bad command line: exit status 2. */
export const CliErrors = defineErrors("@sagaworks/saga-cli", {
  usage: { code: "CLI_USAGE" },
  /** The contracts at the base revision could not be loaded; the CLI falls back to the current ones. */
  baseContractsUnreadable: { code: "CLI_BASE_CONTRACTS_UNREADABLE" },
});
/** Stable codes of the errors the CLI throws. */
export const CliErrorCode = CliErrors.codes;
export type CliErrorCode = ErrorCodeOf<typeof CliErrors>;
/** A CLI error: the message says what to type instead (narrow with `CliErrors.is`). */
export type CliError = ErrorOf<typeof CliErrors>;

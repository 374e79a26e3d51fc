// The one error module of the saga CLI: codes of the problems it reports about files (on top of
// the compiler's `DiagnosticCode`s), and the error it throws for bad usage.

/** Stable codes of the file-level problems the CLI reports. */
export const FileProblemCode = {
  jsonMalformed: "SAGA_JSON_MALFORMED",
  jsonDuplicateKey: "SAGA_JSON_DUPLICATE_KEY",
  fileTooLarge: "SAGA_FILE_TOO_LARGE",
  fileUnreadable: "SAGA_FILE_UNREADABLE",
  fileNameMismatch: "SAGA_FILE_NAME_MISMATCH",
  sagaNameDuplicate: "SAGA_NAME_DUPLICATE",
  noDefinitionsFound: "SAGA_NO_DEFINITIONS_FOUND",
  schemaOutdated: "SAGA_SCHEMA_OUTDATED",
} as const;
export type FileProblemCode = (typeof FileProblemCode)[keyof typeof FileProblemCode];

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

// Codes and shape of the problems reported about definition files (on top of the compiler's
// `DiagnosticCode`s). The CLI and the orchestrator report the same codes.
import type { JsonPath } from "../errors.ts";

/** Stable codes of the file-level problems. */
export const FileProblemCode = {
  jsonMalformed: "SAGA_JSON_MALFORMED",
  jsonDuplicateKey: "SAGA_JSON_DUPLICATE_KEY",
  nestingTooDeep: "SAGA_NESTING_TOO_DEEP",
  fileTooLarge: "SAGA_FILE_TOO_LARGE",
  fileUnreadable: "SAGA_FILE_UNREADABLE",
  fileNameMismatch: "SAGA_FILE_NAME_MISMATCH",
  sagaNameDuplicate: "SAGA_NAME_DUPLICATE",
  noDefinitionsFound: "SAGA_NO_DEFINITIONS_FOUND",
  schemaOutdated: "SAGA_SCHEMA_OUTDATED",
} as const;
export type FileProblemCode = (typeof FileProblemCode)[keyof typeof FileProblemCode];

/** A problem located in a file. */
export interface FileProblem {
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
  path: JsonPath;
  pointer: string;
}

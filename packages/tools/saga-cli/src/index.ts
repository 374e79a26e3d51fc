// Loading definition files lives in @sagaworks/saga-definition/files; re-exported for callers
// of the CLI package.
export {
  checkDefinitionFile,
  collectDefinitionFiles,
  createLineIndex,
  crossFileProblems,
  DEFINITION_SUFFIX,
  type FileProblem,
  type FileResult,
  MAX_DEFINITION_BYTES,
  parseSourceDocument,
  type SourceDocument,
} from "@sagaworks/saga-definition/files";
export { type CliError, CliErrorCode, CliErrors, FileProblemCode } from "./errors.ts";
export {
  type CliIo,
  DEFAULT_DEFINITIONS_DIR,
  ExitCode,
  runCli,
  SCHEMA_FILE_NAME,
} from "./run-cli.ts";

export {
  checkDefinitionFile,
  collectDefinitionFiles,
  crossFileProblems,
  DEFINITION_SUFFIX,
  type FileResult,
  MAX_DEFINITION_BYTES,
} from "./definition-files.ts";
export { CliError, CliErrorCode, FileProblemCode } from "./errors.ts";
export {
  type CliIo,
  DEFAULT_DEFINITIONS_DIR,
  ExitCode,
  runCli,
  SCHEMA_FILE_NAME,
} from "./run-cli.ts";
export {
  createLineIndex,
  type FileProblem,
  parseSourceDocument,
  type SourceDocument,
} from "./source-document.ts";

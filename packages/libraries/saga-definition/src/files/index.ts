// `@sagaworks/saga-definition/files`: locating, reading and checking definition files. The only
// module of the package that touches the file system; the CLI and the orchestrator both use it.
export {
  checkDefinitionFile,
  checkDefinitionFiles,
  checkDefinitionText,
  checkDefinitionTexts,
  collectDefinitionFiles,
  crossFileProblems,
  DEFINITION_SUFFIX,
  type DefinitionCheckOptions,
  type DefinitionText,
  type FileResult,
  loadDefinitionFolder,
  MAX_DEFINITION_BYTES,
} from "./definition-files.ts";
export { type FileProblem, FileProblemCode } from "./file-problem.ts";
export { createLineIndex, parseSourceDocument, type SourceDocument } from "./source-document.ts";

import {
  checkDefinitionFile,
  collectDefinitionFiles,
  crossFileProblems,
} from "@sagaworks/saga-cli";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import { OrchestratorError, OrchestratorErrorCode } from "./errors.ts";

/**
 * Reads and compiles every definition in a folder, with the same checks as `saga validate`.
 * Any problem stops the start-up with every problem listed: an orchestrator never runs half a
 * set of definitions.
 */
export async function loadDefinitions(folder: string): Promise<CompiledSaga[]> {
  const files = await collectDefinitionFiles([folder]);
  const results = await Promise.all(files.map((file) => checkDefinitionFile(file)));
  const problems = [...results.flatMap((result) => result.problems), ...crossFileProblems(results)];
  if (files.length === 0) {
    throw new OrchestratorError(
      OrchestratorErrorCode.definitionsInvalid,
      `No *.saga.json files in ${folder}. Set SAGA_DEFINITIONS_DIR to the folder that holds them.`,
      { folder },
    );
  }
  if (problems.length > 0) {
    const list = problems
      .map((p) => `  ${p.file}:${p.line}:${p.column} ${p.code} ${p.message}`)
      .join("\n");
    throw new OrchestratorError(
      OrchestratorErrorCode.definitionsInvalid,
      `The saga definitions have ${problems.length} problem(s):\n${list}`,
      { problems },
    );
  }
  return results.flatMap((result) => (result.saga ? [result.saga] : []));
}

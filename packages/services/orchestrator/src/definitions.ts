import { serviceContracts } from "@sagaworks/contracts";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import { checkDefinitionFiles } from "@sagaworks/saga-definition/files";
import { OrchestratorErrorCode, OrchestratorErrors } from "./errors.ts";

/**
 * Reads and compiles every definition in a folder, with the same checks as `saga validate` (the
 * same loader, contracts and input-schema compiler). Any problem stops the start-up with every
 * problem listed: an orchestrator never runs half a set of definitions.
 */
export async function loadDefinitions(folder: string): Promise<CompiledSaga[]> {
  const { files, results, problems } = await checkDefinitionFiles([folder], {
    contracts: serviceContracts,
  });
  if (files.length === 0) {
    throw OrchestratorErrors.create(
      OrchestratorErrorCode.definitionsInvalid,
      `No *.saga.json files in ${folder}. Set SAGA_DEFINITIONS_DIR to the folder that holds them.`,
      { folder },
    );
  }
  if (problems.length > 0) {
    const list = problems
      .map((p) => `  ${p.file}:${p.line}:${p.column} ${p.code} ${p.message}`)
      .join("\n");
    throw OrchestratorErrors.create(
      OrchestratorErrorCode.definitionsInvalid,
      `The saga definitions have ${problems.length} problem(s):\n${list}`,
      { problems },
    );
  }
  return results.flatMap((result) => (result.saga ? [result.saga] : []));
}

import { serviceContracts } from "@sagaworks/contracts";
import type { CompiledSaga } from "@sagaworks/saga-definition";
import { loadDefinitionFolder } from "@sagaworks/saga-definition/files";

/**
 * Reads and compiles every definition in a folder against the services' contracts. Any problem
 * stops the start-up with every problem listed: an orchestrator never runs half a set of
 * definitions.
 */
export function loadDefinitions(folder: string): Promise<CompiledSaga[]> {
  return loadDefinitionFolder(folder, {
    contracts: serviceContracts,
    where: "Set SAGA_DEFINITIONS_DIR to the folder that holds them.",
  });
}

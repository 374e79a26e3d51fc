// The environment's DLQs as ops finds them: the topology (topology's environmentTopology, from
// the saga definitions on disk, since ops runs beside no orchestrator), resolved on the broker by
// the dead-letters library, and one picked by name with errors that say what to do.
import { type DeadLetterQueue, findDeadLetterQueue } from "@sagaworks/dead-letters";
import { environmentTopology, loadSagaDefinitions, type Topology } from "@sagaworks/topology";
import { OpsErrorCode, OpsErrors } from "../errors.ts";
import type { OpsEnvironment } from "./environment.ts";

/** The environment's topology, from the definitions in `definitionsDir`. */
export async function opsTopology(env: OpsEnvironment, definitionsDir: string): Promise<Topology> {
  const definitions = await loadSagaDefinitions(definitionsDir);
  return environmentTopology({ prefix: env.prefix, definitions, settings: env.topology });
}

/** Finds one DLQ by name (or by its source queue's name), with the list to pick from if not. */
export function pickQueue(queues: readonly DeadLetterQueue[], name: string): DeadLetterQueue {
  const found = findDeadLetterQueue(queues, name);
  if (!found) {
    throw OpsErrors.create(
      OpsErrorCode.queueUnknown,
      `No DLQ named "${name}" in this environment's topology. DLQs: ${queues.map((q) => q.name).join(", ")}`,
    );
  }
  if (!found.url || !found.source.url) {
    throw OpsErrors.create(
      OpsErrorCode.queueMissing,
      `Queue ${found.url ? found.source.name : found.name} does not exist on the broker; apply the topology first (pnpm topology apply).`,
    );
  }
  return found;
}

// The environment's DLQs as ops finds them: the topology from the saga definitions on disk
// (ops runs beside no orchestrator), resolved on the broker by the orchestrator's dead-letter
// code, and one picked by name with errors that say what to do.
import {
  type DeadLetterQueue,
  findDeadLetterQueue,
  loadDefinitions,
  participantsOf,
} from "@sagaworks/orchestrator";
import { deriveTopology, type Topology } from "@sagaworks/topology";

/** The environment's topology, from the definitions in `definitionsDir`. */
export async function environmentTopology(
  prefix: string,
  definitionsDir: string,
  maxReceiveCount: number,
): Promise<Topology> {
  const definitions = await loadDefinitions(definitionsDir);
  return deriveTopology({ prefix, participants: participantsOf(definitions), maxReceiveCount });
}

/** Finds one DLQ by name (or by its source queue's name), with the list to pick from if not. */
export function pickQueue(queues: readonly DeadLetterQueue[], name: string): DeadLetterQueue {
  const found = findDeadLetterQueue(queues, name);
  if (!found) {
    throw new Error(
      `No DLQ named "${name}" in this environment's topology. DLQs: ${queues.map((q) => q.name).join(", ")}`,
    );
  }
  if (!found.url || !found.source.url) {
    throw new Error(
      `Queue ${found.url ? found.source.name : found.name} does not exist on the broker; apply the topology first (pnpm topology apply).`,
    );
  }
  return found;
}

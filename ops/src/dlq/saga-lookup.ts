// A DLQ's messages joined to their sagas through the orchestrator API: each saga is asked for
// once, and the messages are classified by the orchestrator's dead-letter rules.
import {
  type Classified,
  classify,
  type DeadLetterQueue,
  type DlqMessage,
  type PrunedSaga,
  peekMessages,
  sagaIdToLookUp,
} from "@sagaworks/dead-letters";
import {
  type OrchestratorClient,
  SagaArchivedError,
  type SagaView,
} from "../sagas/orchestrator-client.ts";

/** A saga as a lookup found it: live, pruned after its retention period, or unknown. */
export type LookedUpSaga = SagaView | PrunedSaga | null;

/**
 * Classifies one message at `now`, asking the orchestrator for its saga (once, with a cache).
 * A saga pruned after its retention period (410 SAGA_ARCHIVED) gives the archived verdict.
 */
export async function lookUp(
  orchestrator: OrchestratorClient,
  message: DlqMessage,
  now: Date,
  cache?: Map<string, LookedUpSaga>,
): Promise<Classified> {
  const sagaId = sagaIdToLookUp(message);
  if (sagaId === undefined) return classify(message, undefined, now);
  let saga = cache?.get(sagaId);
  if (saga === undefined) {
    saga = await sagaOrPruned(orchestrator, sagaId);
    cache?.set(sagaId, saga);
  }
  return classify(message, saga, now);
}

async function sagaOrPruned(orchestrator: OrchestratorClient, id: string): Promise<LookedUpSaga> {
  try {
    return await orchestrator.getSaga(id);
  } catch (error) {
    if (!(error instanceof SagaArchivedError)) throw error;
    const { prunedAt, location } = error.archived;
    return { pruned: true, prunedAt, location };
  }
}

/** Classifies every message of the DLQ at `now`, oldest first, leaving them all in it. */
export async function inspectQueue(
  sqs: Parameters<typeof peekMessages>[0],
  queueUrl: string,
  orchestrator: OrchestratorClient,
  limit: number,
  now: Date,
): Promise<Classified[]> {
  const messages = await peekMessages(sqs, queueUrl, { limit });
  const cache = new Map<string, LookedUpSaga>();
  const items: Classified[] = [];
  for (const message of messages) items.push(await lookUp(orchestrator, message, now, cache));
  return items.sort((a, b) => a.message.sentAt.getTime() - b.message.sentAt.getTime());
}

/** How many messages a dry run of a replay or a deletion reads at the most. */
const DRY_RUN_LIMIT = 10_000;

/** A dry run's view of its DLQ: its messages (up to {@link DRY_RUN_LIMIT}) classified at `now`. */
export function inspectForDryRun(
  deps: {
    sqs: Parameters<typeof peekMessages>[0];
    queue: DeadLetterQueue;
    orchestrator: OrchestratorClient;
  },
  now: number,
): Promise<Classified[]> {
  return inspectQueue(
    deps.sqs,
    deps.queue.url ?? "",
    deps.orchestrator,
    DRY_RUN_LIMIT,
    new Date(now),
  );
}

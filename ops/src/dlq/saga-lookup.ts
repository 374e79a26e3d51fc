// A DLQ's messages joined to their sagas through the orchestrator API: each saga is asked for
// once, and the messages are classified by the orchestrator's dead-letter rules.
import {
  type Classified,
  classify,
  type DlqMessage,
  peekMessages,
  sagaIdToLookUp,
} from "@sagaworks/dead-letters";
import type { OrchestratorClient, SagaView } from "../sagas/orchestrator-client.ts";

/**
 * Classifies one message at `now`, asking the orchestrator for its saga (once, with a cache).
 */
export async function lookUp(
  orchestrator: OrchestratorClient,
  message: DlqMessage,
  now: Date,
  cache?: Map<string, SagaView | null>,
): Promise<Classified> {
  const sagaId = sagaIdToLookUp(message);
  if (sagaId === undefined) return classify(message, undefined, now);
  let saga = cache?.get(sagaId);
  if (saga === undefined) {
    saga = await orchestrator.getSaga(sagaId);
    cache?.set(sagaId, saga);
  }
  return classify(message, saga, now);
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
  const cache = new Map<string, SagaView | null>();
  const items: Classified[] = [];
  for (const message of messages) items.push(await lookUp(orchestrator, message, now, cache));
  return items.sort((a, b) => a.message.sentAt.getTime() - b.message.sentAt.getTime());
}

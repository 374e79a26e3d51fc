// The one shape in which the API shows sagas: camelCase, the same fields in the list and in
// the detail.
import { z } from "zod";
import type { SagaDetail } from "../saga-runtime.ts";
import type { SagaSummary } from "../store/instances.ts";

/** A saga in `GET /sagas`. */
export const sagaSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number(),
  status: z.string(),
  state: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const historyEntrySchema = z.object({
  seq: z.number(),
  at: z.string(),
  eventType: z.string(),
  event: z.unknown(),
  applied: z.boolean(),
  note: z.string(),
  status: z.string(),
  state: z.string(),
  actor: z.string().nullable(),
  reason: z.string().nullable(),
  effects: z.unknown(),
});

const parkedMessageSchema = z.object({
  id: z.string(),
  kind: z.string(),
  destination: z.string(),
  name: z.string().nullable(),
  attempts: z.number(),
  reason: z.string(),
  parkedAt: z.string(),
});

/** A saga in `GET /sagas/:id`: the summary's fields and everything an operator reads. */
export const sagaDetailSchema = sagaSummarySchema.extend({
  hash: z.string(),
  revision: z.number(),
  /** Replies that named a step this saga does not have; only the first few are in history. */
  junkReplies: z.number(),
  snapshot: z.unknown(),
  history: z.array(historyEntrySchema),
  /** Messages that could not be sent and were taken out of the outbox. */
  parkedMessages: z.array(parkedMessageSchema),
  /** The saga that started this one as a child (its step), or null. */
  parent: z.object({ sagaId: z.string(), sagaName: z.string(), step: z.string() }).nullable(),
  /** The sagas this one started, by step and attempt. */
  children: z.array(
    z.object({ step: z.string(), attempt: z.number(), sagaId: z.string(), sagaName: z.string() }),
  ),
});

/** A summary as the API shows it. */
export function summaryView(saga: SagaSummary): z.infer<typeof sagaSummarySchema> {
  return {
    id: saga.id,
    name: saga.name,
    version: saga.version,
    status: saga.status,
    state: saga.state,
    createdAt: saga.createdAt.toISOString(),
    updatedAt: saga.updatedAt.toISOString(),
  };
}

/** A saga's detail as the API shows it. */
export function detailView(detail: SagaDetail): z.infer<typeof sagaDetailSchema> {
  const { instance } = detail;
  return {
    ...summaryView(instance),
    hash: instance.hash,
    revision: instance.revision,
    junkReplies: instance.junkReplies,
    snapshot: instance.snapshot,
    history: detail.history.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
    parkedMessages: detail.parkedMessages.map((message) => ({
      ...message,
      parkedAt: message.parkedAt.toISOString(),
    })),
    parent: detail.links.parent,
    children: detail.links.children,
  };
}

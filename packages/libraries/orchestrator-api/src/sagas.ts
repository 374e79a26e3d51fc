// Starting and reading sagas: `POST /sagas/:name`, `GET /sagas/:id`, `GET /sagas`. One shape
// shows a saga, camelCase, with the same fields in the list and in the detail.
import { z } from "zod";

/** The `:id` of every route about one saga. */
export const sagaIdParams = z.object({ id: z.uuid({ message: "must be a saga id (UUID)" }) });

/** The answer to a start (201 when it created the saga, 200 for a repeated idempotency key). */
export const sagaStartedBody = z.object({ sagaId: z.uuid(), created: z.boolean() });
/** What a start answers. */
export type SagaStartedBody = z.infer<typeof sagaStartedBody>;

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
/** A saga as `GET /sagas` lists it. */
export type SagaSummaryView = z.infer<typeof sagaSummarySchema>;

/** A page of `GET /sagas`, newest first; `nextCursor` is null on the last page. */
export const sagaPageBody = z.object({
  items: z.array(sagaSummarySchema),
  nextCursor: z.string().nullable(),
});
/** What `GET /sagas` answers. */
export type SagaPageBody = z.infer<typeof sagaPageBody>;

/** One entry of a saga's history, oldest first. */
export const historyEntrySchema = z.object({
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
/** A history entry as the API shows it. */
export type HistoryEntryView = z.infer<typeof historyEntrySchema>;

/** A message that could not be sent and was taken out of the outbox. */
export const parkedMessageSchema = z.object({
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
/** A saga as `GET /sagas/:id` shows it. */
export type SagaDetailView = z.infer<typeof sagaDetailSchema>;

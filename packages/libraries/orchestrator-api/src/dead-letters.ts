// The read-only dead-letter view: `GET /dead-letters` (every DLQ with its depth) and
// `GET /dead-letters/:queue` (one DLQ's messages grouped, joined to their sagas and planned as
// `ops dlq replay` would).
import { z } from "zod";

const depth = z.object({
  visible: z.number().int(),
  inFlight: z.number().int(),
  delayed: z.number().int(),
  total: z.number().int(),
});
/** A DLQ of the deployment with its approximate depth (null when it is not on the broker). */
export const deadLetterQueueSummarySchema = z.object({
  name: z.string(),
  sourceQueue: z.string(),
  owner: z.string(),
  role: z.string(),
  maxReceiveCount: z.number().int().nullable(),
  exists: z.boolean(),
  depth: depth.nullable(),
});
const verdict = z.enum(["waiting", "stale", "unknown-saga", "archived", "poison", "event"]);
const planCounts = z.object({
  send: z.number().int(),
  skip: z.number().int(),
  afterFirst: z.number().int(),
});
const joinedSaga = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int(),
  status: z.string(),
  state: z.string(),
  updatedAt: z.string(),
  /** What the saga waits on, by step; empty when terminal. */
  pending: z.record(
    z.string(),
    z.object({
      step: z.string(),
      compensation: z.boolean(),
      attempt: z.number().int(),
      waitingFor: z.string(),
    }),
  ),
});
const reportMessage = z.object({
  sqsMessageId: z.string(),
  sentAt: z.string(),
  messageId: z.string().nullable(),
  sagaId: z.string().nullable(),
  step: z.string().nullable(),
  attempt: z.number().int().nullable(),
  compensation: z.boolean().nullable(),
  explanation: z.string(),
  saga: joinedSaga.nullable(),
  action: z.enum(["send", "skip", "after-first", "returned"]),
  why: z.string(),
  bodyPreview: z.string().nullable(),
});
const reportGroup = z.object({
  key: z.string(),
  verdict,
  count: z.number().int(),
  kind: z.string().nullable(),
  name: z.string().nullable(),
  sagaName: z.string().nullable(),
  step: z.string().nullable(),
  reason: z.string().nullable(),
  oldestSentAt: z.string(),
  newestSentAt: z.string(),
  plan: planCounts,
  replayCommand: z.string().nullable(),
  messages: z.array(reportMessage),
  moreMessages: z.number().int(),
});
/** What `GET /dead-letters/:queue` answers: the DLQ's messages grouped, joined and planned. */
export const deadLetterQueueViewBody = z.object({
  queue: deadLetterQueueSummarySchema,
  readAt: z.string(),
  limit: z.number().int(),
  truncated: z.boolean(),
  hiddenForSeconds: z.number().int(),
  count: z.number().int(),
  verdicts: z.record(verdict, z.number().int()),
  groups: z.array(reportGroup),
  plan: planCounts.extend({ outcome: z.string() }),
  commands: z.object({ inspect: z.string(), dryRun: z.string(), execute: z.string() }),
});
/** One DLQ as `GET /dead-letters/:queue` shows it. */
export type DeadLetterQueueViewBody = z.infer<typeof deadLetterQueueViewBody>;

/** What `GET /dead-letters` answers: every DLQ of the deployment. */
export const deadLetterQueueListBody = z.object({ queues: z.array(deadLetterQueueSummarySchema) });
/** The deployment's DLQs with their depth. */
export type DeadLetterQueueListBody = z.infer<typeof deadLetterQueueListBody>;

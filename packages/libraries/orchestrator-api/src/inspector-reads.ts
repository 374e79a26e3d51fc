// What the inspector reads besides the core routes: search, counts per status, and a saga's
// pending timers and outbox rows (`GET /sagas/search`, `/sagas/counts`, `/sagas/:id/timers`,
// `/sagas/:id/outbox`). `ops sagas show` reads the timers and the outbox too.
import { SAGA_STATUSES } from "@sagaworks/saga-engine/model";
import { z } from "zod";
import { sagaPageBody, sagaSummarySchema } from "./sagas.ts";

const sagaStatus = z.enum(SAGA_STATUSES);

/** A saga in `GET /sagas/search`: as in `GET /sagas`, with a whole version and a known status. */
export const sagaSearchRowSchema = sagaSummarySchema.extend({
  version: z.number().int(),
  status: sagaStatus,
});

/** A page of `GET /sagas/search`, newest first; `nextCursor` is null on the last page. */
export const sagaSearchPageBody = sagaPageBody.extend({ items: z.array(sagaSearchRowSchema) });
/** What `GET /sagas/search` answers. */
export type SagaSearchPageBody = z.infer<typeof sagaSearchPageBody>;

/** What `GET /sagas/counts` answers: every status, with 0 for none. */
export const sagaCountsBody = z.object({
  total: z.number().int(),
  byStatus: z.record(sagaStatus, z.number()),
});
/** How many sagas are in each status. */
export type SagaCountsBody = z.infer<typeof sagaCountsBody>;

/** A pending timer of a saga; `event` is the engine event it fires (`type`, step, attempt…). */
export const timerRowSchema = z.object({ id: z.string(), fireAt: z.string(), event: z.unknown() });
/** A timer as `GET /sagas/:id/timers` shows it. */
export type TimerRow = z.infer<typeof timerRowSchema>;

/** A row of a saga's outbox, as stored: a message for SQS or SNS, or an HTTP call. */
export const outboxRowSchema = z.object({
  id: z.string(),
  kind: z.string(),
  destination: z.string(),
  message: z.unknown(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  availableAt: z.string(),
  createdAt: z.string(),
});
/** An outbox row as `GET /sagas/:id/outbox` shows it. */
export type OutboxRow = z.infer<typeof outboxRowSchema>;

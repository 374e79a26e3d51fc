// `GET /sagas/in-flight`: how many sagas each stored definition version still runs, by status
// and state (what `saga diff --orchestrator-url` reads).
import { SagaStatus, TERMINAL_STATUSES } from "@sagaworks/saga-engine/model";
import { z } from "zod";

/** Statuses a saga can still move from: running, compensating, needs-intervention. */
export const IN_FLIGHT_STATUSES = Object.values(SagaStatus).filter(
  (status) => !TERMINAL_STATUSES.includes(status),
);

/** Unfinished sagas of one definition version in one status and state. */
export const inFlightRowSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  hash: z.string(),
  status: z.enum(IN_FLIGHT_STATUSES as [SagaStatus, ...SagaStatus[]]),
  state: z.string(),
  count: z.number().int(),
});
/** One row of the in-flight counts. */
export type InFlightRow = z.infer<typeof inFlightRowSchema>;

/** What `GET /sagas/in-flight` answers: the statuses counted, and the rows. */
export const inFlightBody = z.object({
  statuses: z.array(z.string()),
  items: z.array(inFlightRowSchema),
});
/** The in-flight counts. */
export type InFlightBody = z.infer<typeof inFlightBody>;

// The orchestrator HTTP API's bodies as zod schemas, with their types: the routes declare and
// serve them (and the OpenAPI document at /docs is made from them), and clients such as `ops`
// parse the answers with the same schemas. `…Body` is a whole request or response body,
// `…Schema` a part of one (a row, an item).
export {
  type DeadLetterQueueListBody,
  type DeadLetterQueueViewBody,
  deadLetterQueueListBody,
  deadLetterQueueSummarySchema,
  deadLetterQueueViewBody,
} from "./dead-letters.ts";
export {
  type ErrorBody,
  errorBody,
  type SagaArchivedBody,
  sagaArchivedBody,
} from "./error-body.ts";
export {
  IN_FLIGHT_STATUSES,
  type InFlightBody,
  type InFlightRow,
  inFlightBody,
  inFlightRowSchema,
} from "./in-flight.ts";
export {
  type OutboxRow,
  outboxRowSchema,
  type SagaCountsBody,
  type SagaSearchPageBody,
  sagaCountsBody,
  sagaSearchPageBody,
  sagaSearchRowSchema,
  type TimerRow,
  timerRowSchema,
} from "./inspector-reads.ts";
export {
  type OperatorActionBody,
  operatorActionBodies,
  type RequestParts,
} from "./operator-actions.ts";
export { type RetentionViewBody, retentionViewBody } from "./retention.ts";
export {
  type HistoryEntryView,
  historyEntrySchema,
  parkedMessageSchema,
  type SagaDetailView,
  type SagaPageBody,
  type SagaStartedBody,
  type SagaSummaryView,
  sagaDetailSchema,
  sagaIdParams,
  sagaPageBody,
  sagaStartedBody,
  sagaSummarySchema,
} from "./sagas.ts";

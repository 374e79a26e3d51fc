import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/**
 * The orchestrator's errors, with the status its API answers them with. The definition and
 * routing codes are raised at start-up and by the workers, never by a route.
 */
export const OrchestratorErrors = defineErrors("@sagaworks/orchestrator", {
  definitionConflict: { code: "SAGA_DEFINITION_CONFLICT", status: 409 },
  definitionUnknown: { code: "SAGA_DEFINITION_UNKNOWN", status: 404 },
  sagaNotFound: { code: "SAGA_NOT_FOUND", status: 404 },
  // Gone, not missing: the saga finished, was archived and pruned; details say where it went.
  sagaArchived: { code: "SAGA_ARCHIVED", status: 410 },
  inputInvalid: { code: "SAGA_INPUT_INVALID", status: 400 },
  inputTooLarge: { code: "SAGA_INPUT_TOO_LARGE", status: 400 },
  actionRefused: { code: "SAGA_ACTION_REFUSED", status: 409 },
  routingUnknown: { code: "SAGA_ROUTING_UNKNOWN" },
  replyRefused: { code: "SAGA_REPLY_REFUSED" },
  // A child saga ended but there is no key to sign its answer to the parent with.
  childReplyKeyMissing: { code: "SAGA_CHILD_REPLY_KEY_MISSING" },
  // Other writers kept changing the saga between this replica's read and its write.
  writeConflict: { code: "SAGA_WRITE_CONFLICT", status: 503 },
  deadLetterQueueUnknown: { code: "DEAD_LETTER_QUEUE_UNKNOWN", status: 404 },
  deadLetterQueueMissing: { code: "DEAD_LETTER_QUEUE_MISSING", status: 404 },
  // A retention option out of range, refused when the pruner is built (start-up).
  retentionSettingInvalid: { code: "SAGA_RETENTION_SETTING_INVALID" },
  // A message on the outside-events queue that is not an event: it goes to the DLQ with the reason.
  outsideEventInvalid: { code: "OUTSIDE_EVENT_INVALID" },
});
/** Stable codes of the orchestrator's errors. */
export const OrchestratorErrorCode = OrchestratorErrors.codes;
export type OrchestratorErrorCode = ErrorCodeOf<typeof OrchestratorErrors>;
/** An orchestrator error (narrow with `OrchestratorErrors.is`). */
export type OrchestratorError = ErrorOf<typeof OrchestratorErrors>;

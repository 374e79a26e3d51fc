import { defineErrors, type ErrorCodeOf, type ErrorOf, SagaworksError } from "@sagaworks/errors";

/** The participant SDK's errors. */
export const ParticipantErrors = defineErrors("@sagaworks/participant-sdk", {
  retryLater: { code: "PARTICIPANT_RETRY_LATER" },
  poison: { code: "PARTICIPANT_POISON" },
  queueMissing: { code: "PARTICIPANT_QUEUE_MISSING" },
  /** The broker did not answer the queue lookup (down, 5xx, throttling): waited out at start-up. */
  brokerUnavailable: { code: "PARTICIPANT_BROKER_UNAVAILABLE" },
  /** A statement handler's statement ran but left no replied inbox row: a bug in the statement. */
  replyStatementIncomplete: { code: "PARTICIPANT_REPLY_STATEMENT_INCOMPLETE" },
});
/** Stable codes of the participant SDK's errors. */
export const ParticipantErrorCode = ParticipantErrors.codes;
export type ParticipantErrorCode = ErrorCodeOf<typeof ParticipantErrors>;
/** A participant that cannot start: what is missing and how to fix it (narrow with `ParticipantErrors.is`). */
export type ParticipantError = ErrorOf<typeof ParticipantErrors>;

// The two classes below stay classes: they are what a handler throws to choose how the SDK
// retries, so they carry behaviour (`delaySeconds`), not just a code.

/**
 * Thrown by a handler when the command cannot be handled now but may later (a lock is held, a
 * dependency is down). The transaction rolls back and SQS delivers the command again after
 * `delaySeconds`.
 */
export class RetryLaterError extends SagaworksError<typeof ParticipantErrorCode.retryLater> {
  readonly delaySeconds: number;

  constructor(message: string, delaySeconds = 5) {
    super(ParticipantErrorCode.retryLater, message, { delaySeconds });
    this.name = "RetryLaterError";
    this.delaySeconds = delaySeconds;
  }
}

/**
 * Thrown by a handler when the command can never succeed as sent (it breaks an invariant the
 * schema could not express). The transaction rolls back and the command goes to the DLQ with
 * this reason. Business outcomes are replies, not poison.
 */
export class PoisonError extends SagaworksError<typeof ParticipantErrorCode.poison> {
  constructor(message: string) {
    super(ParticipantErrorCode.poison, message);
    this.name = "PoisonError";
  }
}

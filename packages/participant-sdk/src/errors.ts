/** Stable codes of the participant SDK's errors. */
export const ParticipantErrorCode = {
  retryLater: "PARTICIPANT_RETRY_LATER",
  poison: "PARTICIPANT_POISON",
  queueMissing: "PARTICIPANT_QUEUE_MISSING",
} as const;
export type ParticipantErrorCode = (typeof ParticipantErrorCode)[keyof typeof ParticipantErrorCode];

/**
 * Thrown by a handler when the command cannot be handled now but may later (a lock is held, a
 * dependency is down). The transaction rolls back and SQS delivers the command again after
 * `delaySeconds`.
 */
export class RetryLaterError extends Error {
  readonly code = ParticipantErrorCode.retryLater;
  readonly delaySeconds: number;

  constructor(message: string, delaySeconds = 5) {
    super(message);
    this.name = "RetryLaterError";
    this.delaySeconds = delaySeconds;
  }
}

/**
 * Thrown by a handler when the command can never succeed as sent (it breaks an invariant the
 * schema could not express). The transaction rolls back and the command goes to the DLQ with
 * this reason. Business outcomes are replies, not poison.
 */
export class PoisonError extends Error {
  readonly code = ParticipantErrorCode.poison;

  constructor(message: string) {
    super(message);
    this.name = "PoisonError";
  }
}

/** A participant that cannot start: what is missing and how to fix it. */
export class ParticipantError extends Error {
  readonly code: ParticipantErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: ParticipantErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ParticipantError";
    this.code = code;
    this.details = details;
  }
}

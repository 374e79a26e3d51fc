/** Stable codes of every error the messaging package raises. */
export const MessagingErrorCode = {
  envelopeInvalid: "ENVELOPE_INVALID",
  messageTooLarge: "MESSAGE_TOO_LARGE",
  tooManyAttributes: "TOO_MANY_MESSAGE_ATTRIBUTES",
  batchEntryFailed: "BATCH_ENTRY_FAILED",
  invalidCharacters: "MESSAGE_INVALID_CHARACTERS",
  delayOutOfRange: "MESSAGE_DELAY_OUT_OF_RANGE",
} as const;
export type MessagingErrorCode = (typeof MessagingErrorCode)[keyof typeof MessagingErrorCode];

/** An error with a stable `code`, a message that says what to do, and structured `details`. */
export class MessagingError extends Error {
  readonly code: MessagingErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: MessagingErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MessagingError";
    this.code = code;
    this.details = details;
  }
}

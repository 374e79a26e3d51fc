import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/** Every error the messaging package raises: a stable code, a message that says what to do. */
export const MessagingErrors = defineErrors("@sagaworks/messaging", {
  envelopeInvalid: { code: "ENVELOPE_INVALID" },
  messageTooLarge: { code: "MESSAGE_TOO_LARGE" },
  tooManyAttributes: { code: "TOO_MANY_MESSAGE_ATTRIBUTES" },
  batchEntryFailed: { code: "BATCH_ENTRY_FAILED" },
  invalidCharacters: { code: "MESSAGE_INVALID_CHARACTERS" },
  delayOutOfRange: { code: "MESSAGE_DELAY_OUT_OF_RANGE" },
  /** A deployed process without its command or reply signing key: it refuses to start. */
  signingKeyMissing: { code: "SIGNING_KEY_MISSING" },
  /** An outbox relay built without what its rows need (a store, an SNS client). */
  relayMisconfigured: { code: "OUTBOX_RELAY_MISCONFIGURED" },
});
/** Stable codes of every error the messaging package raises. */
export const MessagingErrorCode = MessagingErrors.codes;
export type MessagingErrorCode = ErrorCodeOf<typeof MessagingErrors>;
/** An error of the messaging package (narrow with `MessagingErrors.is`). */
export type MessagingError = ErrorOf<typeof MessagingErrors>;

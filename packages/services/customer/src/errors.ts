/** Stable codes of every error the customer service raises. */
export const CustomerErrorCode = {
  notFound: "CUSTOMER_NOT_FOUND",
  idTaken: "CUSTOMER_ID_TAKEN",
  emailTaken: "CUSTOMER_EMAIL_TAKEN",
  cursorInvalid: "CURSOR_INVALID",
  seedFailed: "CUSTOMER_SEED_FAILED",
} as const;
export type CustomerErrorCode = (typeof CustomerErrorCode)[keyof typeof CustomerErrorCode];

/** A customer-service error: a stable `code`, a message that says what to do, and `details`. */
export class CustomerError extends Error {
  readonly code: CustomerErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: CustomerErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CustomerError";
    this.code = code;
    this.details = details;
  }
}

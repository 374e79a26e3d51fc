/** Stable codes of every error the account service raises or replies with. */
export const AccountErrorCode = {
  notFound: "ACCOUNT_NOT_FOUND",
  exists: "ACCOUNT_EXISTS",
  cursorInvalid: "CURSOR_INVALID",
  /** Reply code: the order's reservation exists with another customer, amount or status. */
  reservationConflict: "RESERVATION_CONFLICT",
} as const;
export type AccountErrorCode = (typeof AccountErrorCode)[keyof typeof AccountErrorCode];

/** An account-service error: a stable `code`, a message that says what to do, and `details`. */
export class AccountError extends Error {
  readonly code: AccountErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: AccountErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AccountError";
    this.code = code;
    this.details = details;
  }
}

/** Stable codes of every error the order service raises or replies with. */
export const OrderErrorCode = {
  notFound: "ORDER_NOT_FOUND",
  locked: "ORDER_LOCKED",
  cursorInvalid: "CURSOR_INVALID",
  /** Reply code: the order id is taken by an order with other content (the contract's name). */
  idConflict: "ORDER_ID_CONFLICT",
  /** Reply code: the payload breaks a rule its schema cannot express (e.g. the total). */
  payloadInvalid: "PAYLOAD_INVALID",
  notRejectable: "ORDER_NOT_REJECTABLE",
  notApprovable: "ORDER_NOT_APPROVABLE",
  notRevertible: "ORDER_NOT_REVERTIBLE",
  notCancellable: "ORDER_NOT_CANCELLABLE",
} as const;
export type OrderErrorCode = (typeof OrderErrorCode)[keyof typeof OrderErrorCode];

/** An order-service error: a stable `code`, a message that says what to do, and `details`. */
export class OrderError extends Error {
  readonly code: OrderErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: OrderErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OrderError";
    this.code = code;
    this.details = details;
  }
}

import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/** Every error the order service raises or replies with, and the status its API answers. */
export const OrderErrors = defineErrors("@sagaworks/order-service", {
  notFound: {
    code: "ORDER_NOT_FOUND",
    status: 404,
    message: 'No order with id "{id}". Orders are created by the create-order saga; check the id.',
  },
  locked: { code: "ORDER_LOCKED", status: 409 },
  /** Reply code: the order id is taken by an order with other content (the contract's name). */
  idConflict: { code: "ORDER_ID_CONFLICT" },
  /** Reply code: the payload breaks a rule its schema cannot express (e.g. the total). */
  payloadInvalid: { code: "PAYLOAD_INVALID" },
  notRejectable: { code: "ORDER_NOT_REJECTABLE" },
  notApprovable: { code: "ORDER_NOT_APPROVABLE" },
  notRevertible: { code: "ORDER_NOT_REVERTIBLE" },
  notCancellable: { code: "ORDER_NOT_CANCELLABLE" },
});
/** Stable codes of every error the order service raises or replies with. */
export const OrderErrorCode = OrderErrors.codes;
export type OrderErrorCode = ErrorCodeOf<typeof OrderErrors>;
/** An order-service error (narrow with `OrderErrors.is`). */
export type OrderError = ErrorOf<typeof OrderErrors>;

import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/** Every error the customer service raises, and the status its API answers. */
export const CustomerErrors = defineErrors("@sagaworks/customer-service", {
  notFound: { code: "CUSTOMER_NOT_FOUND", status: 404 },
  idTaken: { code: "CUSTOMER_ID_TAKEN", status: 409 },
  emailTaken: { code: "CUSTOMER_EMAIL_TAKEN", status: 409 },
  seedFailed: { code: "CUSTOMER_SEED_FAILED" },
});
/** Stable codes of every error the customer service raises. */
export const CustomerErrorCode = CustomerErrors.codes;
export type CustomerErrorCode = ErrorCodeOf<typeof CustomerErrors>;
/** A customer-service error (narrow with `CustomerErrors.is`). */
export type CustomerError = ErrorOf<typeof CustomerErrors>;

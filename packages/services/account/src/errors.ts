import { defineErrors, type ErrorCodeOf, type ErrorOf } from "@sagaworks/errors";

/** Every error the account service raises or replies with, and the status its API answers. */
export const AccountErrors = defineErrors("@sagaworks/account-service", {
  notFound: { code: "ACCOUNT_NOT_FOUND", status: 404 },
  exists: { code: "ACCOUNT_EXISTS", status: 409 },
  /** Reply code: the order's reservation exists with another customer, amount or status. */
  reservationConflict: { code: "RESERVATION_CONFLICT" },
});
/** Stable codes of every error the account service raises or replies with. */
export const AccountErrorCode = AccountErrors.codes;
export type AccountErrorCode = ErrorCodeOf<typeof AccountErrors>;
/** An account-service error (narrow with `AccountErrors.is`). */
export type AccountError = ErrorOf<typeof AccountErrors>;

// The account service: owns each customer's credit. Takes commands over SQS.
import { z } from "zod";
import { amountCents, entityId } from "./common.ts";
import { defineService } from "./define-service.ts";

/** ReserveCredit: holds `amountCents` of the customer's credit for an order. */
export const reserveCreditPayload = z.object({
  customerId: entityId,
  orderId: entityId,
  amountCents,
});

/** Reply: the credit is reserved. */
export const creditReserved = z.object({
  customerId: entityId,
  orderId: entityId,
  amountCents,
  availableCreditCents: amountCents,
});

/** Reply: not enough credit (a business failure). */
export const creditLimitExceeded = z.object({
  customerId: entityId,
  orderId: entityId,
  requestedCents: amountCents,
  availableCreditCents: amountCents,
});

/** ReleaseCredit: gives back the credit reserved for an order. */
export const releaseCreditPayload = z.object({
  customerId: entityId,
  orderId: entityId,
  amountCents,
});

/** Reply: the credit is released. */
export const creditReleased = z.object({
  customerId: entityId,
  orderId: entityId,
  releasedCents: amountCents,
  availableCreditCents: amountCents,
});

/** Reply: there is no reservation for this order (nothing to release). */
export const creditReservationNotFound = z.object({ customerId: entityId, orderId: entityId });

/** The account service's contract. */
export const accountService = defineService({
  description: "Owns customers' credit limits and reservations.",
  commands: {
    ReserveCredit: {
      description: "Reserve credit for an order.",
      payload: reserveCreditPayload,
      replies: { CreditReserved: creditReserved, CreditLimitExceeded: creditLimitExceeded },
      errors: ["PAYLOAD_INVALID", "ACCOUNT_NOT_FOUND", "RESERVATION_CONFLICT"],
    },
    ReleaseCredit: {
      description: "Release the credit reserved for an order.",
      payload: releaseCreditPayload,
      replies: {
        CreditReleased: creditReleased,
        CreditReservationNotFound: creditReservationNotFound,
      },
      errors: ["PAYLOAD_INVALID", "ACCOUNT_NOT_FOUND", "RESERVATION_CONFLICT"],
    },
  },
});

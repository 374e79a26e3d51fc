// The account service: owns each customer's credit. Takes commands over SQS.
//
// Idempotency keys. The participant SDK deduplicates every command by the envelope's
// `idempotencyKey`, which the orchestrator sets to `<sagaId>:<step>` for an action and
// `<sagaId>:<step>:compensation` for its compensation (retries of a step keep the key, so a
// retry never acts twice). A compensation also carries `actionKey`, the key of the action it
// undoes: the SDK leaves a guard under it, so an action that arrives after its compensation is
// refused. Beyond those keys, each command says below what makes a second copy under another key
// (a manual replay, another saga) harmless.
import { z } from "zod";
import { amountCents, entityId } from "./common.ts";
import { defineService } from "./define-service.ts";

/**
 * ReserveCredit: holds `amountCents` of the customer's credit for an order. Idempotency key:
 * `<sagaId>:<step>`; a reservation is also unique per `orderId` (an identical one is confirmed,
 * a different one is RESERVATION_CONFLICT) and records the saga that made it.
 */
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

/**
 * ReleaseCredit: gives back the credit reserved for an order. Idempotency key: `<sagaId>:<step>`
 * as an action (cancel-order: releases the order's reservation by `orderId`), and
 * `<sagaId>:<step>:compensation` (with `actionKey` `<sagaId>:<step>`, ReserveCredit's key) as
 * ReserveCredit's compensation, which releases only a reservation that the same saga made
 * (another saga's is answered CreditReservationNotFound).
 */
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

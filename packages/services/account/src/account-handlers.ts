import {
  creditLimitExceeded,
  creditReleased,
  creditReservationNotFound,
  creditReserved,
  releaseCreditPayload,
  reserveCreditPayload,
} from "@sagaworks/contracts";
import {
  type CommandHandler,
  contractReply,
  defineHandler,
  failed,
  type Reply,
} from "@sagaworks/participant-sdk";
import { createAccountStore } from "./account-store.ts";
import { AccountErrorCode } from "./errors.ts";

function accountNotFound(customerId: string): Reply {
  return failed(
    AccountErrorCode.notFound,
    `Customer "${customerId}" has no account; open one with POST /accounts before ordering.`,
  );
}

/**
 * The account service's command handlers, by command name (service name `account` in the
 * topology). Both lock the customer's account row first, so every credit movement of one
 * customer is serialised whatever replica or worker handles it: without the lock, two reserves
 * could both read the same available credit and together spend more than the limit.
 */
export function accountHandlers(): Record<string, CommandHandler> {
  return {
    ReserveCredit: defineHandler(reserveCreditPayload, async ({ trx, payload, command }) => {
      const { customerId, orderId, amountCents } = payload;
      const store = createAccountStore(trx);
      const account = await store.lock(customerId);
      if (!account) return accountNotFound(customerId);
      // Read after taking the lock: a concurrent reserve of the same order has committed by now.
      const existing = await store.reservation(orderId);
      if (existing) {
        // The same reservation asked again under another idempotency key (a replay): confirm it.
        if (
          existing.customerId === customerId &&
          existing.amountCents === amountCents &&
          existing.status === "RESERVED"
        ) {
          return contractReply("CreditReserved", creditReserved, {
            customerId,
            orderId,
            amountCents,
            availableCreditCents: account.availableCents,
          });
        }
        return failed(
          AccountErrorCode.reservationConflict,
          `Order "${orderId}" already has a ${existing.status} reservation of ${existing.amountCents} cents for customer "${existing.customerId}"; an order reserves credit once.`,
        );
      }
      if (account.availableCents < amountCents) {
        return contractReply("CreditLimitExceeded", creditLimitExceeded, {
          customerId,
          orderId,
          requestedCents: amountCents,
          availableCreditCents: account.availableCents,
        });
      }
      const after = await store.reserve(customerId, orderId, amountCents, command.sagaId);
      return contractReply("CreditReserved", creditReserved, {
        customerId,
        orderId,
        amountCents,
        availableCreditCents: after.availableCents,
      });
    }),

    ReleaseCredit: defineHandler(
      releaseCreditPayload,
      async ({ trx, payload, actionApplied, command, logger }) => {
        const { customerId, orderId, amountCents } = payload;
        const notFound = contractReply("CreditReservationNotFound", creditReservationNotFound, {
          customerId,
          orderId,
        });
        // A compensation whose ReserveCredit never ran here: nothing was reserved for this step,
        // so nothing is released (a guard now refuses the late reserve).
        if (!actionApplied) return notFound;
        const store = createAccountStore(trx);
        const account = await store.lock(customerId);
        if (!account) return accountNotFound(customerId);
        const reservation = await store.reservation(orderId);
        if (!reservation || reservation.customerId !== customerId) return notFound;
        // A compensation undoes only what its own saga did. Another saga may hold the reservation
        // of this order id (its ReserveCredit was confirmed to this saga as a replay); releasing
        // it would take credit from under a saga that still relies on it. As a forward step
        // (cancel-order releasing an approved order's credit) the order id is the key, as before.
        if (
          command.compensation &&
          reservation.sagaId !== null &&
          reservation.sagaId !== command.sagaId
        ) {
          logger.warn(
            { orderId, owner: reservation.sagaId },
            "compensation refused to release a reservation another saga made",
          );
          return notFound;
        }
        if (reservation.amountCents !== amountCents) {
          return failed(
            AccountErrorCode.reservationConflict,
            `Order "${orderId}" reserved ${reservation.amountCents} cents, not ${amountCents}; nothing was released.`,
          );
        }
        const released = (availableCreditCents: number) =>
          contractReply("CreditReleased", creditReleased, {
            customerId,
            orderId,
            releasedCents: reservation.amountCents,
            availableCreditCents,
          });
        if (reservation.status === "RELEASED") return released(account.availableCents);
        const after = await store.release(reservation);
        return released(after.availableCents);
      },
    ),
  };
}

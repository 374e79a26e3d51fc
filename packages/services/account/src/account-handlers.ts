import {
  creditReleased,
  creditReservationNotFound,
  releaseCreditPayload,
  reserveCreditPayload,
} from "@sagaworks/contracts";
import {
  COMMAND_FAILED,
  type CommandHandler,
  contractReply,
  defineHandler,
  defineStatementHandler,
  failed,
  failedPayloadSql,
  type Reply,
  type SqlFragment,
  sql,
} from "@sagaworks/participant-sdk";
import { createAccountStore } from "./account-store.ts";
import { AccountErrorCode } from "./errors.ts";

function notFoundMessage(customerId: string): string {
  return `Customer "${customerId}" has no account; open one with POST /accounts before ordering.`;
}

function accountNotFound(customerId: string): Reply {
  return failed(AccountErrorCode.notFound, notFoundMessage(customerId));
}

/**
 * The account service's command handlers, by command name (service name `account` in the
 * topology). Both lock the customer's account row first, so every credit movement of one
 * customer is serialised whatever replica or worker handles it: without the lock, two reserves
 * could both read the same available credit and together spend more than the limit.
 * ReserveCredit, on every order's path, is one SQL statement (the SDK's statement handler);
 * ReleaseCredit, a compensation, runs in the participant's transaction after its guard.
 */
export function accountHandlers(): Record<string, CommandHandler> {
  return {
    // One statement. The account row is locked first (FOR UPDATE reads its latest version, after
    // any concurrent reserve committed), and the credit moves only when the order has no
    // reservation yet and the credit covers it. A concurrent reserve of the same order under
    // another idempotency key makes the reservation insert fail; the command then runs again
    // and confirms or refuses it as a replay.
    ReserveCredit: defineStatementHandler(reserveCreditPayload, ({ payload, command }) => {
      const { customerId, orderId, amountCents } = payload;
      const amount = sql`${amountCents}::bigint`;
      const reserved = (available: SqlFragment) =>
        sql`jsonb_build_object('customerId', ${customerId}::text, 'orderId', ${orderId}::text,
          'amountCents', ${amount}, 'availableCreditCents', ${available})`;
      const sameReservation = sql`(e.customer_id = ${customerId}::text
        AND e.amount_cents = ${amount} AND e.status = 'RESERVED')`;
      return {
        with: [
          [
            "account",
            sql`SELECT available_cents FROM accounts WHERE customer_id = ${customerId}::text
              FOR UPDATE`,
          ],
          [
            "existing",
            sql`SELECT customer_id, amount_cents, status FROM reservations
              WHERE order_id = ${orderId}::text`,
          ],
          [
            "moved",
            sql`UPDATE accounts a SET available_cents = a.available_cents - ${amount},
                reserved_cents = a.reserved_cents + ${amount}, updated_at = now()
              FROM account
              WHERE a.customer_id = ${customerId}::text AND account.available_cents >= ${amount}
                AND NOT EXISTS (SELECT 1 FROM existing)
              RETURNING a.available_cents`,
          ],
          [
            "reservation",
            sql`INSERT INTO reservations (order_id, customer_id, amount_cents, status, saga_id)
              SELECT ${orderId}::text, ${customerId}::text, ${amount}, 'RESERVED',
                ${command.sagaId}::text
              FROM moved RETURNING order_id`,
          ],
        ],
        reply: sql`SELECT
            CASE
              WHEN a.available_cents IS NULL THEN ${COMMAND_FAILED}::text
              WHEN e.status IS NOT NULL
                THEN CASE WHEN ${sameReservation} THEN 'CreditReserved' ELSE ${COMMAND_FAILED}::text END
              WHEN m.available_cents IS NULL THEN 'CreditLimitExceeded'
              ELSE 'CreditReserved'
            END AS reply_name,
            CASE
              WHEN a.available_cents IS NULL
                THEN ${failedPayloadSql(AccountErrorCode.notFound, notFoundMessage(customerId))}
              WHEN e.status IS NOT NULL THEN CASE WHEN ${sameReservation}
                THEN ${reserved(sql`a.available_cents`)}
                ELSE ${failedPayloadSql(
                  AccountErrorCode.reservationConflict,
                  sql`format('Order "%s" already has a %s reservation of %s cents for customer "%s"; an order reserves credit once.',
                    ${orderId}::text, e.status, e.amount_cents, e.customer_id)`,
                )} END
              WHEN m.available_cents IS NULL
                THEN jsonb_build_object('customerId', ${customerId}::text,
                  'orderId', ${orderId}::text, 'requestedCents', ${amount},
                  'availableCreditCents', a.available_cents)
              ELSE ${reserved(sql`m.available_cents`)}
            END AS reply_payload
          FROM (SELECT 1) AS one
            LEFT JOIN account a ON true
            LEFT JOIN existing e ON true
            LEFT JOIN moved m ON true`,
      };
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

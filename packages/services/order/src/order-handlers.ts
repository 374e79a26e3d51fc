import {
  approveOrderPayload,
  beginOrderCancellationPayload,
  cancelOrderPayload,
  createOrderPayload,
  orderCancellationReverted,
  orderRejected,
  rejectOrderPayload,
  revertOrderCancellationPayload,
} from "@sagaworks/contracts";
import {
  COMMAND_FAILED,
  type CommandHandler,
  contractReply,
  defineHandler,
  defineStatementHandler,
  failed,
  failedPayloadSql,
  sql,
} from "@sagaworks/participant-sdk";
import { OrderErrorCode } from "./errors.ts";
import { createOrderStore } from "./order-store.ts";

function notFoundMessage(orderId: string): string {
  return `No order "${orderId}" exists in the order service; check the saga's orderId.`;
}

/**
 * The order service's command handlers, by command name (service name `order` in the topology).
 * The change, the inbox row and the reply commit together: the actions are one SQL statement
 * each (see the participant SDK's statement handlers); the compensations (RejectOrder,
 * RevertOrderCancellation) run in the participant's transaction, after the SDK's guard. Each handler locks the order row
 * first: two sagas touching one order (two cancellations, say) then see each other's result
 * instead of racing.
 */
export function orderHandlers(): Record<string, CommandHandler> {
  return {
    // One statement: the insert, and the reply decided from what it found. A concurrent copy
    // under another idempotency key whose insert this one waited for is not visible to this
    // statement's snapshot; the reply then yields no row and the command runs again.
    CreateOrder: defineStatementHandler(createOrderPayload, ({ payload, command }) => {
      const { orderId, customerId, totalCents } = payload;
      const items = JSON.stringify(payload.items);
      const created = sql`jsonb_build_object('orderId', ${orderId}::text,
        'customerId', ${customerId}::text, 'status', 'PENDING', 'totalCents', ${totalCents}::bigint)`;
      // A copy of the command under another idempotency key (a manual replay) may only confirm
      // an order that is still the same and still waiting; confirming one that has moved on
      // would let a saga reserve credit for a rejected or finished order.
      const conflict = failedPayloadSql(
        OrderErrorCode.idConflict,
        sql`format('Order "%s" already exists %s; an order id is used once (it is the saga id).',
          ${orderId}::text,
          CASE WHEN p.same THEN 'and is ' || p.status ELSE 'with other content' END)`,
      );
      return {
        with: [
          [
            "inserted",
            sql`INSERT INTO orders (id, customer_id, items, total_cents, status, locked_by_saga,
                created_at, updated_at)
              VALUES (${orderId}::text, ${customerId}::text, ${items}::jsonb, ${totalCents}::bigint,
                'PENDING', ${command.sagaId}::text, now(), now())
              ON CONFLICT (id) DO NOTHING RETURNING id`,
          ],
          [
            "prior",
            sql`SELECT status, (customer_id = ${customerId}::text
                AND total_cents = ${totalCents}::bigint AND items = ${items}::jsonb) AS same
              FROM orders WHERE id = ${orderId}::text AND NOT EXISTS (SELECT 1 FROM inserted)`,
          ],
        ],
        reply: sql`SELECT
            CASE WHEN i.id IS NOT NULL OR (p.same AND p.status = 'PENDING') THEN 'OrderCreated'
              ELSE ${COMMAND_FAILED}::text END AS reply_name,
            CASE WHEN i.id IS NOT NULL OR (p.same AND p.status = 'PENDING') THEN ${created}
              ELSE ${conflict} END AS reply_payload
          FROM (SELECT 1) AS one
            LEFT JOIN inserted i ON true
            LEFT JOIN prior p ON true
          WHERE i.id IS NOT NULL OR p.status IS NOT NULL`,
      };
    }),

    RejectOrder: defineHandler(
      rejectOrderPayload,
      async ({ trx, payload, actionApplied, command, logger }) => {
        const rejected = contractReply("OrderRejected", orderRejected, {
          orderId: payload.orderId,
          status: "REJECTED",
        });
        // The CreateOrder never ran here: the SDK left a guard that will refuse it, so there is
        // no order and nothing to reject (the contract's reply covers this case).
        if (!actionApplied) return rejected;
        const store = createOrderStore(trx);
        const order = await store.getForUpdate(payload.orderId);
        // CreateOrder ran but answered with a failure: it created nothing.
        if (!order) return rejected;
        if (order.status === "REJECTED") return rejected;
        // A compensation undoes only what its own saga did: a PENDING order locked by another
        // saga was created by that saga (this one's CreateOrder only confirmed it as a replay),
        // so there is nothing of this saga's to reject, as when its CreateOrder never ran.
        if (order.status === "PENDING" && order.lockedBySaga !== command.sagaId) {
          logger.warn(
            { orderId: order.id, owner: order.lockedBySaga },
            "compensation left alone an order another saga created",
          );
          return rejected;
        }
        if (order.status === "PENDING") {
          await store.setStatus(order.id, {
            status: "REJECTED",
            lockedBySaga: null,
            reason: payload.reason,
          });
          return rejected;
        }
        return failed(
          OrderErrorCode.notRejectable,
          `Order "${order.id}" is ${order.status}; only a PENDING order can be rejected.`,
        );
      },
    ),

    // One statement: lock the order, approve it if PENDING, and reply from what the lock read.
    ApproveOrder: defineStatementHandler(approveOrderPayload, ({ payload }) => {
      const { orderId } = payload;
      return {
        with: [
          ["found", sql`SELECT id, status FROM orders WHERE id = ${orderId}::text FOR UPDATE`],
          [
            "approved",
            sql`UPDATE orders o
              SET status = 'APPROVED', locked_by_saga = NULL, updated_at = now()
              FROM found c WHERE o.id = c.id AND c.status = 'PENDING' RETURNING o.id`,
          ],
        ],
        reply: sql`SELECT
            CASE WHEN c.status IN ('PENDING', 'APPROVED') THEN 'OrderApproved'
              ELSE ${COMMAND_FAILED}::text END AS reply_name,
            CASE
              WHEN c.status IS NULL THEN ${failedPayloadSql(OrderErrorCode.notFound, notFoundMessage(orderId))}
              WHEN c.status IN ('PENDING', 'APPROVED')
                THEN jsonb_build_object('orderId', ${orderId}::text, 'status', 'APPROVED')
              ELSE ${failedPayloadSql(
                OrderErrorCode.notApprovable,
                sql`format('Order "%s" is %s; only a PENDING order can be approved.',
                  ${orderId}::text, c.status)`,
              )}
            END AS reply_payload
          FROM (SELECT 1) AS one LEFT JOIN found c ON true`,
      };
    }),

    // One statement: lock the order, start its cancellation if APPROVED. The contract's
    // OrderNotCancellable must name one of the order's statuses, and an unknown order has none; a
    // failure with its own code says what happened instead.
    BeginOrderCancellation: defineStatementHandler(
      beginOrderCancellationPayload,
      ({ payload, command }) => {
        const { orderId } = payload;
        return {
          with: [
            [
              "found",
              sql`SELECT id, status, customer_id, total_cents FROM orders
                WHERE id = ${orderId}::text FOR UPDATE`,
            ],
            [
              "started",
              sql`UPDATE orders o SET status = 'CANCELLING', locked_by_saga = ${command.sagaId}::text,
                  status_reason = ${payload.reason}::text, updated_at = now()
                FROM found c WHERE o.id = c.id AND c.status = 'APPROVED' RETURNING o.id`,
            ],
          ],
          reply: sql`SELECT
              CASE
                WHEN c.status IS NULL THEN ${COMMAND_FAILED}::text
                WHEN c.status = 'APPROVED' THEN 'OrderCancellationStarted'
                ELSE 'OrderNotCancellable'
              END AS reply_name,
              CASE
                WHEN c.status IS NULL
                  THEN ${failedPayloadSql(OrderErrorCode.notFound, notFoundMessage(orderId))}
                WHEN c.status = 'APPROVED' THEN jsonb_build_object('orderId', c.id,
                  'customerId', c.customer_id, 'totalCents', c.total_cents, 'status', 'CANCELLING')
                ELSE jsonb_build_object('orderId', c.id, 'status', c.status)
              END AS reply_payload
            FROM (SELECT 1) AS one LEFT JOIN found c ON true`,
        };
      },
    ),

    RevertOrderCancellation: defineHandler(
      revertOrderCancellationPayload,
      async ({ trx, payload, command, actionApplied, logger }) => {
        const reverted = contractReply("OrderCancellationReverted", orderCancellationReverted, {
          orderId: payload.orderId,
          status: "APPROVED",
        });
        // Nothing to undo: BeginOrderCancellation never ran here (a guard now refuses it).
        if (!actionApplied) return reverted;
        const store = createOrderStore(trx);
        const order = await store.getForUpdate(payload.orderId);
        if (!order || order.status === "APPROVED") return reverted;
        if (order.status === "CANCELLING") {
          // Another saga's cancellation is not this saga's to undo: this saga never moved it.
          if (order.lockedBySaga !== command.sagaId) {
            logger.warn(
              { orderId: order.id, lockedBySaga: order.lockedBySaga },
              "revert for a cancellation another saga owns: left as it is",
            );
            return reverted;
          }
          await store.setStatus(order.id, {
            status: "APPROVED",
            lockedBySaga: null,
            reason: payload.reason,
          });
          return reverted;
        }
        return failed(
          OrderErrorCode.notRevertible,
          `Order "${order.id}" is ${order.status}; only a CANCELLING order can go back to APPROVED.`,
        );
      },
    ),

    // One statement: lock the order, and finish the cancellation this saga started.
    CancelOrder: defineStatementHandler(cancelOrderPayload, ({ payload, command }) => {
      const { orderId } = payload;
      const ours = sql`(c.status = 'CANCELLING' AND c.locked_by_saga = ${command.sagaId}::text)`;
      return {
        with: [
          [
            "found",
            sql`SELECT id, status, locked_by_saga FROM orders WHERE id = ${orderId}::text FOR UPDATE`,
          ],
          [
            "cancelled",
            sql`UPDATE orders o SET status = 'CANCELLED', locked_by_saga = NULL, updated_at = now()
              FROM found c WHERE o.id = c.id AND ${ours} RETURNING o.id`,
          ],
        ],
        reply: sql`SELECT
            CASE WHEN c.status = 'CANCELLED' OR ${ours} THEN 'OrderCancelled'
              ELSE ${COMMAND_FAILED}::text END AS reply_name,
            CASE
              WHEN c.status IS NULL
                THEN ${failedPayloadSql(OrderErrorCode.notFound, notFoundMessage(orderId))}
              WHEN c.status = 'CANCELLED' OR ${ours}
                THEN jsonb_build_object('orderId', c.id, 'status', 'CANCELLED')
              WHEN c.status = 'CANCELLING' THEN ${failedPayloadSql(
                OrderErrorCode.notCancellable,
                sql`format('Order "%s" is being cancelled by saga %s, not by this one.',
                  c.id, c.locked_by_saga)`,
              )}
              ELSE ${failedPayloadSql(
                OrderErrorCode.notCancellable,
                sql`format('Order "%s" is %s; BeginOrderCancellation must make it CANCELLING first.',
                  c.id, c.status)`,
              )}
            END AS reply_payload
          FROM (SELECT 1) AS one LEFT JOIN found c ON true`,
      };
    }),
  };
}

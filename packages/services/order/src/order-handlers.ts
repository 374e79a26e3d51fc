import {
  approveOrderPayload,
  beginOrderCancellationPayload,
  cancelOrderPayload,
  createOrderPayload,
  orderApproved,
  orderCancellationReverted,
  orderCancellationStarted,
  orderCancelled,
  orderCreated,
  orderNotCancellable,
  orderRejected,
  rejectOrderPayload,
  revertOrderCancellationPayload,
} from "@sagaworks/contracts";
import {
  type CommandHandler,
  contractReply,
  defineHandler,
  failed,
  type Reply,
} from "@sagaworks/participant-sdk";
import { OrderErrorCode } from "./errors.ts";
import { createOrderStore, type NewOrder, type Order } from "./order-store.ts";

function sameContent(order: Order, wanted: NewOrder): boolean {
  const lines = (items: NewOrder["items"]) =>
    JSON.stringify(items.map((item) => [item.sku, item.quantity, item.unitPriceCents]));
  return (
    order.customerId === wanted.customerId &&
    order.totalCents === wanted.totalCents &&
    lines(order.items) === lines(wanted.items)
  );
}

function notFound(orderId: string): Reply {
  return failed(
    OrderErrorCode.notFound,
    `No order "${orderId}" exists in the order service; check the saga's orderId.`,
  );
}

/**
 * The order service's command handlers, by command name (service name `order` in the topology).
 * Every read and write goes through the participant's transaction, so the change, the inbox row
 * and the reply commit together. Each handler locks the order row first: two sagas touching one
 * order (two cancellations, say) then see each other's result instead of racing.
 */
export function orderHandlers(): Record<string, CommandHandler> {
  return {
    CreateOrder: defineHandler(createOrderPayload, async ({ trx, payload, command }) => {
      const wanted: NewOrder = { ...payload, id: payload.orderId, lockedBySaga: command.sagaId };
      const { inserted, order } = await createOrderStore(trx).insertIfAbsent(wanted);
      // A copy of the command under another idempotency key (a manual replay) may only confirm
      // an order that is still the same and still waiting; confirming one that has moved on
      // would let a saga reserve credit for a rejected or finished order.
      if (!inserted && !(sameContent(order, wanted) && order.status === "PENDING")) {
        return failed(
          OrderErrorCode.idConflict,
          `Order "${order.id}" already exists ${sameContent(order, wanted) ? `and is ${order.status}` : "with other content"}; an order id is used once (it is the saga id).`,
        );
      }
      return contractReply("OrderCreated", orderCreated, {
        orderId: order.id,
        customerId: order.customerId,
        status: "PENDING",
        totalCents: order.totalCents,
      });
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

    ApproveOrder: defineHandler(approveOrderPayload, async ({ trx, payload }) => {
      const store = createOrderStore(trx);
      const order = await store.getForUpdate(payload.orderId);
      if (!order) return notFound(payload.orderId);
      const approved = contractReply("OrderApproved", orderApproved, {
        orderId: order.id,
        status: "APPROVED",
      });
      if (order.status === "APPROVED") return approved;
      if (order.status === "PENDING") {
        await store.setStatus(order.id, { status: "APPROVED", lockedBySaga: null });
        return approved;
      }
      return failed(
        OrderErrorCode.notApprovable,
        `Order "${order.id}" is ${order.status}; only a PENDING order can be approved.`,
      );
    }),

    BeginOrderCancellation: defineHandler(
      beginOrderCancellationPayload,
      async ({ trx, payload, command }) => {
        const store = createOrderStore(trx);
        const order = await store.getForUpdate(payload.orderId);
        // The contract's OrderNotCancellable must name one of the order's statuses, and an
        // unknown order has none; a failure with its own code says what happened instead.
        if (!order) return notFound(payload.orderId);
        if (order.status !== "APPROVED") {
          return contractReply("OrderNotCancellable", orderNotCancellable, {
            orderId: order.id,
            status: order.status,
          });
        }
        await store.setStatus(order.id, {
          status: "CANCELLING",
          lockedBySaga: command.sagaId,
          reason: payload.reason,
        });
        return contractReply("OrderCancellationStarted", orderCancellationStarted, {
          orderId: order.id,
          customerId: order.customerId,
          totalCents: order.totalCents,
          status: "CANCELLING",
        });
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

    CancelOrder: defineHandler(cancelOrderPayload, async ({ trx, payload, command }) => {
      const store = createOrderStore(trx);
      const order = await store.getForUpdate(payload.orderId);
      if (!order) return notFound(payload.orderId);
      const cancelled = contractReply("OrderCancelled", orderCancelled, {
        orderId: order.id,
        status: "CANCELLED",
      });
      if (order.status === "CANCELLED") return cancelled;
      if (order.status === "CANCELLING" && order.lockedBySaga === command.sagaId) {
        await store.setStatus(order.id, { status: "CANCELLED", lockedBySaga: null });
        return cancelled;
      }
      return failed(
        OrderErrorCode.notCancellable,
        order.status === "CANCELLING"
          ? `Order "${order.id}" is being cancelled by saga ${order.lockedBySaga}, not by this one.`
          : `Order "${order.id}" is ${order.status}; BeginOrderCancellation must make it CANCELLING first.`,
      );
    }),
  };
}

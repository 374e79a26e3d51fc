// The order service: owns orders. Takes commands over SQS (and serves its own REST API).
import { z } from "zod";
import { amountCents, entityId, reason } from "./common.ts";
import { defineService } from "./define-service.ts";

/** Statuses an order goes through. */
export const OrderStatus = z.enum(["PENDING", "APPROVED", "REJECTED", "CANCELLING", "CANCELLED"]);

/** One line of an order. */
export const orderItem = z.object({
  sku: z.string().min(1),
  quantity: z.int().min(1),
  unitPriceCents: amountCents,
});

/**
 * CreateOrder: creates a PENDING order, locked by the creating saga. Idempotency key:
 * `<sagaId>:<step>`; also idempotent on `orderId` (an identical PENDING order is confirmed).
 * Every order command is deduplicated by the envelope's `idempotencyKey`: `<sagaId>:<step>` for
 * an action, `<sagaId>:<step>:compensation` for a compensation, whose `actionKey` is its action's
 * `<sagaId>:<step>` (the participant guards it against a late action).
 */
export const createOrderPayload = z.object({
  orderId: entityId,
  customerId: entityId,
  items: z.array(orderItem).min(1),
  totalCents: amountCents,
});

/** Reply to CreateOrder. */
export const orderCreated = z.object({
  orderId: entityId,
  customerId: entityId,
  status: z.literal("PENDING"),
  totalCents: amountCents,
});

/**
 * RejectOrder: moves a PENDING order to REJECTED (compensation of CreateOrder). Idempotency key:
 * `<sagaId>:<step>:compensation`; it rejects only an order its own saga created (still locked by
 * it); another saga's order is left alone.
 */
export const rejectOrderPayload = z.object({ orderId: entityId, reason });

/** Reply to RejectOrder; also sent when the order never existed (a guard is left). */
export const orderRejected = z.object({ orderId: entityId, status: z.literal("REJECTED") });

/**
 * ApproveOrder: moves a PENDING order to APPROVED. `paymentId` names the outside payment that
 * paid it, when a saga waited for one (optional: the command and its history carry it).
 */
export const approveOrderPayload = z.object({ orderId: entityId, paymentId: entityId.optional() });

/** Reply to ApproveOrder. */
export const orderApproved = z.object({ orderId: entityId, status: z.literal("APPROVED") });

/** BeginOrderCancellation: marks an APPROVED order CANCELLING. */
export const beginOrderCancellationPayload = z.object({ orderId: entityId, reason });

/** Reply: the order is now CANCELLING; carries what the refund needs. */
export const orderCancellationStarted = z.object({
  orderId: entityId,
  customerId: entityId,
  totalCents: amountCents,
  status: z.literal("CANCELLING"),
});

/** Reply: the order cannot be cancelled in its current status. */
export const orderNotCancellable = z.object({ orderId: entityId, status: OrderStatus });

/**
 * RevertOrderCancellation: CANCELLING → APPROVED (compensation of BeginOrderCancellation).
 * Idempotency key: `<sagaId>:<step>:compensation`; reverts only a cancellation its own saga began.
 */
export const revertOrderCancellationPayload = z.object({ orderId: entityId, reason });

/** Reply to RevertOrderCancellation. */
export const orderCancellationReverted = z.object({
  orderId: entityId,
  status: z.literal("APPROVED"),
});

/** CancelOrder: CANCELLING → CANCELLED. */
export const cancelOrderPayload = z.object({ orderId: entityId });

/** Reply to CancelOrder. */
export const orderCancelled = z.object({ orderId: entityId, status: z.literal("CANCELLED") });

/** The order service's contract. */
export const orderService = defineService({
  description: "Owns orders and their status.",
  commands: {
    CreateOrder: {
      description: "Create a PENDING order.",
      payload: createOrderPayload,
      replies: { OrderCreated: orderCreated },
      errors: ["PAYLOAD_INVALID", "ORDER_ID_CONFLICT"],
    },
    RejectOrder: {
      description: "Reject a PENDING order.",
      payload: rejectOrderPayload,
      replies: { OrderRejected: orderRejected },
      errors: ["PAYLOAD_INVALID", "ORDER_NOT_REJECTABLE"],
    },
    ApproveOrder: {
      description: "Approve a PENDING order.",
      payload: approveOrderPayload,
      replies: { OrderApproved: orderApproved },
      errors: ["PAYLOAD_INVALID", "ORDER_NOT_APPROVABLE"],
    },
    BeginOrderCancellation: {
      description: "Mark an APPROVED order as CANCELLING.",
      payload: beginOrderCancellationPayload,
      replies: {
        OrderCancellationStarted: orderCancellationStarted,
        OrderNotCancellable: orderNotCancellable,
      },
      errors: ["PAYLOAD_INVALID", "ORDER_NOT_FOUND"],
    },
    RevertOrderCancellation: {
      description: "Put a CANCELLING order back to APPROVED.",
      payload: revertOrderCancellationPayload,
      replies: { OrderCancellationReverted: orderCancellationReverted },
      errors: ["PAYLOAD_INVALID", "ORDER_NOT_REVERTIBLE"],
    },
    CancelOrder: {
      description: "Cancel a CANCELLING order.",
      payload: cancelOrderPayload,
      replies: { OrderCancelled: orderCancelled },
      errors: ["PAYLOAD_INVALID", "ORDER_NOT_CANCELLABLE"],
    },
  },
});

// The outside payment provider: it takes no commands and serves no endpoint to sagas; it tells
// the shop how a payment ended by a webhook, which arrives at the orchestrator as an event.
import { z } from "zod";
import { amountCents, entityId, reason } from "./common.ts";
import { defineService } from "./define-service.ts";

/** PaymentCaptured: the provider took the money. */
export const paymentCaptured = z.object({
  paymentId: entityId,
  /** The shop's reference the provider echoes back: the order the payment is for. */
  orderId: entityId,
  amountCents,
  capturedAt: z.string().min(1),
});

/** PaymentDeclined: the provider refused the payment (card declined, risk). */
export const paymentDeclined = z.object({ paymentId: entityId, orderId: entityId, reason });

/** The payment provider's contract: the events its webhook sends. */
export const paymentProviderService = defineService({
  description: "The outside payment provider. Sends its webhook events; takes no commands.",
  events: {
    PaymentCaptured: {
      description: "The payment was captured.",
      payload: paymentCaptured,
      correlation: "paymentId",
    },
    PaymentDeclined: {
      description: "The payment was declined.",
      payload: paymentDeclined,
      correlation: "paymentId",
    },
  },
});

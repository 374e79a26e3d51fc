// The customer service: synchronous REST only; sagas call it with HTTP steps.
import { z } from "zod";
import { amountCents, entityId } from "./common.ts";
import { defineService } from "./define-service.ts";

/** A customer as GET /customers/:id returns it. */
export const customer = z.object({
  id: entityId,
  name: z.string().min(1),
  email: z.email(),
  creditLimitCents: amountCents,
  status: z.enum(["ACTIVE", "SUSPENDED"]),
});

/** The error body of the customer service. */
export const customerError = z.object({ error: z.string(), message: z.string() });

/** The query of the fraud check: the amount about to be charged. */
export const fraudCheckQuery = z.object({ amountCents: z.coerce.number().pipe(amountCents) });

/** The fraud check found nothing against the charge. */
export const fraudCheckClear = z.object({ customerId: entityId, verdict: z.literal("clear") });

/** The customer service's contract. */
export const customerService = defineService({
  description: "Owns customers. Synchronous REST only: no commands over SQS.",
  endpoints: [
    {
      method: "GET",
      path: "/customers/:id",
      description: "Read one customer.",
      params: z.object({ id: entityId }),
      responses: {
        200: { description: "The customer.", body: customer },
        404: { description: "Unknown customer.", body: customerError },
      },
    },
    {
      method: "GET",
      path: "/customers/:id/fraud-check",
      description:
        "Checks a charge against the customer: refused (422) for a suspended customer or an amount above their credit limit.",
      params: z.object({ id: entityId }),
      query: fraudCheckQuery,
      responses: {
        200: { description: "Nothing against the charge.", body: fraudCheckClear },
        404: { description: "Unknown customer.", body: customerError },
        422: { description: "The charge looks fraudulent.", body: customerError },
      },
    },
  ],
});

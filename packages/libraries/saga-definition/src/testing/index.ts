// `@sagaworks/saga-definition/testing`: a valid definition to start tests from, so packages stop
// writing their own copies. Plain data, no test framework.

import {
  approveOrderStep,
  createOrderStep,
  rejectOrderCompensation,
  reserveCreditStep,
  verifyCustomerStep,
} from "./steps.ts";

export * from "./steps.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are mutated freely, like hand-edited JSON.
export type Loose = any;

/**
 * A valid definition (the shape of create-order, against `serviceContracts` of
 * @sagaworks/contracts), fresh on every call so tests can mutate it.
 */
export function validDefinition(): Loose {
  return {
    $schema: "./saga-definition.schema.json",
    name: "create-order",
    version: 1,
    description: "Places an order.",
    input: {
      type: "object",
      properties: {
        customerId: { type: "string" },
        items: {
          type: "array",
          items: {
            type: "object",
            properties: {
              sku: { type: "string" },
              quantity: { type: "integer" },
              unitPriceCents: { type: "integer" },
            },
            required: ["sku", "quantity", "unitPriceCents"],
          },
        },
        totalCents: { type: "integer" },
      },
      required: ["customerId", "items", "totalCents"],
    },
    timeout: "1h",
    steps: [
      verifyCustomerStep({ timeout: "5s" }),
      createOrderStep({
        payload: {
          orderId: "$.sagaId",
          customerId: "$.steps.verify-customer.response.body.id",
          items: "$.input.items",
          totalCents: "$.input.totalCents",
        },
        compensation: rejectOrderCompensation(),
      }),
      reserveCreditStep(
        { pivot: true },
        "$.steps.create-order.reply.totalCents",
        "$.steps.create-order.reply.orderId",
      ),
      approveOrderStep({}, "$.steps.create-order.reply.orderId"),
    ],
  };
}

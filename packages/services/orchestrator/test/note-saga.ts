// A one-step saga whose CreateOrder command carries the input's `note` whole: the tests of input
// capacity, lifecycle summaries and outbox parking size messages through it. Beside it, the
// CreateOrder step the other test sagas start with.
import { serviceContracts } from "@sagaworks/contracts";
import { type CompiledSaga, compileSagaOrThrow } from "@sagaworks/saga-definition";

/** Compiles note-order; `step` adds retry or timeout settings to its one step. */
export function noteSaga(step: Record<string, unknown> = {}): CompiledSaga {
  return compileSagaOrThrow(
    {
      name: "note-order",
      version: 1,
      description: "a saga whose command carries the input's note",
      input: {
        type: "object",
        properties: { customerId: { type: "string" }, note: { type: "string" } },
        required: ["customerId", "note"],
      },
      steps: [createOrderStep({ pivot: true, ...step }, "$.input.note")],
    },
    { contracts: serviceContracts },
  );
}

/** The input schema of the test sagas that take only a customer id. */
export const customerIdInput = {
  type: "object",
  properties: { customerId: { type: "string" } },
  required: ["customerId"],
};

/**
 * The order service's CreateOrder as a test saga's step: an order of one 1-cent item, `sku`
 * (a value or a mapping; defaults to "x"), for `$.input.customerId`. `settings` adds the step's
 * role, retry, timeout or compensation.
 */
export function createOrderStep(
  settings: Record<string, unknown> = {},
  sku = "x",
): Record<string, unknown> {
  return {
    name: "create-order",
    kind: "command",
    service: "order",
    command: "CreateOrder",
    payload: {
      orderId: "$.sagaId",
      customerId: "$.input.customerId",
      items: [{ sku, quantity: 1, unitPriceCents: 1 }],
      totalCents: 1,
    },
    outcomes: { success: ["OrderCreated"] },
    ...settings,
  };
}

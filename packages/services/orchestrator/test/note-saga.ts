// A one-step saga whose CreateOrder command carries the input's `note` whole: the tests of input
// capacity, lifecycle summaries and outbox parking size messages through it. Beside it, the
// input of the test sagas that take only a customer id.
import { serviceContracts } from "@sagaworks/contracts";
import { type CompiledSaga, compileSagaOrThrow } from "@sagaworks/saga-definition";
import { createOrderStep } from "@sagaworks/saga-definition/testing";

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
      steps: [createOrderStep({ pivot: true, ...step }, { sku: "$.input.note" })],
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

// What the engine's sub-saga tests share: the input their sagas take, the child's one step,
// which holds credit and releases it when compensated (no pivot, so a parent may ask it to undo),
// and the order their sagas create for the input's amount.
import {
  createOrderStep,
  reserveCreditStep as reserveCredit,
} from "@sagaworks/saga-definition/testing";

/** `{ customerId, amountCents }`, the input of every saga in the sub-saga tests. */
export const customerAmountInput = {
  type: "object",
  properties: { customerId: { type: "string" }, amountCents: { type: "integer", minimum: 0 } },
  required: ["customerId", "amountCents"],
};

/** Reserves the input's amount under the saga's id; compensated by releasing it. */
export const reserveCreditStep = reserveCredit(
  {
    name: "reserve",
    compensation: {
      command: "ReleaseCredit",
      payload: {
        customerId: "$.input.customerId",
        orderId: "$.sagaId",
        amountCents: "$.input.amountCents",
      },
    },
  },
  "$.input.amountCents",
);

/** CreateOrder as a step named `create`, for the input's amount; `settings` adds its role. */
export function createStep(settings: Record<string, unknown> = {}): Record<string, unknown> {
  return createOrderStep({ name: "create", ...settings }, { totalCents: "$.input.amountCents" });
}

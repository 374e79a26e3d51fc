// What the engine's sub-saga tests share: the input their sagas take, and the child's one step,
// which holds credit and releases it when compensated (no pivot, so a parent may ask it to undo).

/** `{ customerId, amountCents }`, the input of every saga in the sub-saga tests. */
export const customerAmountInput = {
  type: "object",
  properties: { customerId: { type: "string" }, amountCents: { type: "integer", minimum: 0 } },
  required: ["customerId", "amountCents"],
};

/** Reserves the input's amount under the saga's id; compensated by releasing it. */
export const reserveCreditStep = {
  name: "reserve",
  kind: "command",
  service: "account",
  command: "ReserveCredit",
  payload: {
    customerId: "$.input.customerId",
    orderId: "$.sagaId",
    amountCents: "$.input.amountCents",
  },
  outcomes: { success: ["CreditReserved"], businessFailure: ["CreditLimitExceeded"] },
  compensation: {
    command: "ReleaseCredit",
    payload: {
      customerId: "$.input.customerId",
      orderId: "$.sagaId",
      amountCents: "$.input.amountCents",
    },
  },
};

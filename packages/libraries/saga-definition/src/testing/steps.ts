// The reference services' commands as test sagas' steps, so that engine and orchestrator tests
// write only what their saga does differently (its name for the step, role, retry, timeout,
// condition) instead of a copy of the whole step. Plain data, fresh on every call.

/** A step, or part of one, as plain JSON data. */
type StepData = Record<string, unknown>;

/**
 * The order service's CreateOrder as a step named `create-order`: an order of one 1-cent item
 * `sku` (a value or a mapping; default "x") for `$.input.customerId`, totalling `totalCents` (a
 * value or a mapping; default 1). `settings` adds to the step or overrides its fields.
 */
export function createOrderStep(
  settings: StepData = {},
  order: { sku?: string; totalCents?: number | string } = {},
): StepData {
  return {
    name: "create-order",
    kind: "command",
    service: "order",
    command: "CreateOrder",
    payload: {
      orderId: "$.sagaId",
      customerId: "$.input.customerId",
      items: [{ sku: order.sku ?? "x", quantity: 1, unitPriceCents: 1 }],
      totalCents: order.totalCents ?? 1,
    },
    outcomes: { success: ["OrderCreated"] },
    ...settings,
  };
}

/** RejectOrder with the failure's message: the compensation of {@link createOrderStep}. */
export function rejectOrderCompensation(settings: StepData = {}): StepData {
  return {
    command: "RejectOrder",
    payload: { orderId: "$.sagaId", reason: "$.failure.message" },
    ...settings,
  };
}

/**
 * The account service's ReserveCredit as a step named `reserve-credit`: `amountCents` (a mapping;
 * default `$.input.totalCents`) for `$.input.customerId` under the order `orderId` (a mapping;
 * default the saga's id), failing as a business failure over the credit limit. `settings` adds to
 * the step or overrides its fields.
 */
export function reserveCreditStep(
  settings: StepData = {},
  amountCents: number | string = "$.input.totalCents",
  orderId = "$.sagaId",
): StepData {
  return {
    name: "reserve-credit",
    kind: "command",
    service: "account",
    command: "ReserveCredit",
    payload: { customerId: "$.input.customerId", orderId, amountCents },
    outcomes: { success: ["CreditReserved"], businessFailure: ["CreditLimitExceeded"] },
    ...settings,
  };
}

/**
 * The order service's ApproveOrder as a step named `approve-order`: approves the order `orderId`
 * (a mapping; default `$.sagaId`) and is retried without limit, as a step after the pivot is.
 * `settings` adds to the step or overrides its fields.
 */
export function approveOrderStep(settings: StepData = {}, orderId = "$.sagaId"): StepData {
  return {
    name: "approve-order",
    kind: "command",
    service: "order",
    command: "ApproveOrder",
    payload: { orderId },
    outcomes: { success: ["OrderApproved"] },
    retry: { maxAttempts: "unlimited" },
    ...settings,
  };
}

/**
 * The customer service's `GET /customers/:id` of `$.input.customerId` as a read-only HTTP step
 * named `verify-customer`, a 404 being a business failure. `settings` adds to the step or
 * overrides its fields.
 */
export function verifyCustomerStep(settings: StepData = {}): StepData {
  return {
    name: "verify-customer",
    kind: "http",
    service: "customer",
    request: { method: "GET", path: "/customers/:id", params: { id: "$.input.customerId" } },
    outcomes: { success: [200], businessFailure: [404] },
    readOnly: true,
    ...settings,
  };
}

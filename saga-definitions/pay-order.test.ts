// The author's tests of pay-order, written with the test kit (no broker, no database), and the
// broken variants of its definition, each reported at its line and column.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serviceContracts } from "@sagaworks/contracts";
import { checkDefinitionText } from "@sagaworks/saga-definition/files";
import { sagaTest } from "@sagaworks/saga-engine/testing";
import { describe, expect, it } from "vitest";

const file = fileURLToPath(new URL("./pay-order.saga.json", import.meta.url));
const text = readFileSync(file, "utf8");
const checked = checkDefinitionText(text, "pay-order.saga.json", {
  contracts: serviceContracts,
  fileName: "pay-order.saga.json",
});
if (!checked.saga) throw new Error(JSON.stringify(checked.problems));
const payOrder = checked.saga;

const items = [{ sku: "sku-1", quantity: 1, unitPriceCents: 2500 }];
const small = { customerId: "cust-1", paymentId: "pay-1", items, totalCents: 2500 };
const large = { ...small, items: [{ ...items[0], unitPriceCents: 250000 }], totalCents: 250000 };
const created = (sagaId: string, totalCents: number) => ({
  orderId: sagaId,
  customerId: "cust-1",
  status: "PENDING",
  totalCents,
});
const captured = (sagaId: string) => ({
  paymentId: "pay-1",
  orderId: sagaId,
  amountCents: 2500,
  capturedAt: "2026-12-07T00:00:00Z",
});

describe("pay-order", () => {
  it("skips the fraud check for a small order, waits for the payment, and approves the order naming it", () => {
    const saga = sagaTest(payOrder).start(small);
    expect(saga.calls()).toEqual([]);
    saga.reply("create-order", "OrderCreated", created(saga.sagaId, 2500));
    expect(saga.waitingOn()).toMatchObject({
      step: "await-payment",
      waitingFor: "event",
      wait: { service: "payment-provider", key: "pay-1" },
    });
    saga.event("await-payment", "PaymentCaptured", captured(saga.sagaId));
    saga.reply("approve-order", "OrderApproved", { orderId: saga.sagaId, status: "APPROVED" });
    expect(saga.status).toBe("completed");
    expect(saga.path()).toEqual(["create-order", "await-payment", "approve-order", "completed"]);
    expect(saga.snapshot?.steps["fraud-check"]?.status).toBe("not-taken");
    // The event's payload is read by the later step's mapping.
    expect(saga.commands().at(-1)).toMatchObject({
      command: "ApproveOrder",
      payload: { orderId: saga.sagaId, paymentId: "pay-1" },
    });
  });

  it("checks fraud above 1,000.00 and ends before anything changed when the check refuses", () => {
    const saga = sagaTest(payOrder).start(large);
    expect(saga.calls()).toMatchObject([
      { method: "GET", path: "/customers/cust-1/fraud-check", query: { amountCents: 250000 } },
    ]);
    saga.respond("fraud-check", 422, { error: "FRAUD_SUSPECTED", message: "suspended" });
    expect(saga.status).toBe("failed");
    expect(saga.commands()).toEqual([]);
  });

  it("rejects the order when the provider declines the payment", () => {
    const saga = sagaTest(payOrder).start(small);
    saga.reply("create-order", "OrderCreated", created(saga.sagaId, 2500));
    saga.event("await-payment", "PaymentDeclined", {
      paymentId: "pay-1",
      orderId: saga.sagaId,
      reason: "card declined",
    });
    expect(saga.compensations()).toEqual(["create-order"]);
    expect(saga.commands().at(-1)).toMatchObject({
      command: "RejectOrder",
      payload: { orderId: saga.sagaId, reason: "card declined" },
    });
    saga.reply("create-order", "OrderRejected", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
  });

  it("rejects the order when no payment came within two hours, and a payment after that is late", () => {
    const saga = sagaTest(payOrder).start(small);
    saga.reply("create-order", "OrderCreated", created(saga.sagaId, 2500));
    saga.advance("1h59m");
    expect(saga.waitingOn()?.step).toBe("await-payment");
    saga.advance("1m");
    expect(saga.snapshot?.failure).toMatchObject({
      step: "await-payment",
      kind: "deadline",
      code: "AWAIT_DEADLINE_PASSED",
    });
    expect(saga.compensations()).toEqual(["create-order"]);
    const late = saga.event("await-payment", "PaymentCaptured", captured(saga.sagaId), {
      key: "pay-1",
    });
    expect(late.applied).toBe(false);
    expect(late.note).toMatch(/late, not applied/);
  });

  it("applies a payment once: the same event again, or a second one, changes nothing", () => {
    const saga = sagaTest(payOrder).start(small);
    saga.reply("create-order", "OrderCreated", created(saga.sagaId, 2500));
    saga.event("await-payment", "PaymentCaptured", captured(saga.sagaId), { eventId: "evt-1" });
    const again = saga.event("await-payment", "PaymentCaptured", captured(saga.sagaId), {
      eventId: "evt-1",
      key: "pay-1",
    });
    const declined = saga.event(
      "await-payment",
      "PaymentDeclined",
      { paymentId: "pay-1", orderId: saga.sagaId, reason: "too late" },
      { eventId: "evt-2", key: "pay-1" },
    );
    expect([again.applied, declined.applied]).toEqual([false, false]);
    expect(saga.waitingOn()?.step).toBe("approve-order");
  });

  it("ignores an event for another key", () => {
    const saga = sagaTest(payOrder).start(small);
    saga.reply("create-order", "OrderCreated", created(saga.sagaId, 2500));
    const other = saga.event("await-payment", "PaymentCaptured", captured(saga.sagaId), {
      key: "pay-2",
    });
    expect(other.applied).toBe(false);
    expect(saga.waitingOn()?.step).toBe("await-payment");
  });

  it("lets an operator complete the wait by hand, or re-open it", () => {
    const saga = sagaTest(payOrder).start(small);
    saga.reply("create-order", "OrderCreated", created(saga.sagaId, 2500));
    const expected = { step: "await-payment", attempt: 1, compensation: false };
    const done = saga.operator({
      action: "complete-wait",
      event: "PaymentCaptured",
      payload: captured(saga.sagaId),
      expected,
    });
    expect(done.applied).toBe(true);
    expect(saga.waitingOn()?.step).toBe("approve-order");
    const refused = saga.operator({ action: "reopen-wait", expected });
    expect(refused.refused?.code).toBe("SAGA_MOVED_ON");
  });
});

/** The definition with `from` replaced by `to` (exactly once), checked. */
function broken(from: string, to: string) {
  expect(text.split(from)).toHaveLength(2);
  const changed = text.replace(from, to);
  const result = checkDefinitionText(changed, "pay-order.saga.json", {
    contracts: serviceContracts,
    fileName: "pay-order.saga.json",
  });
  return { changed, problems: result.problems };
}

/** 1-based line and column where `needle` starts in `source`. */
function positionOf(source: string, needle: string): { line: number; column: number } {
  const at = source.indexOf(needle);
  expect(at).toBeGreaterThanOrEqual(0);
  const before = source.slice(0, at).split("\n");
  return { line: before.length, column: (before.at(-1) as string).length + 1 };
}

/**
 * Checks that pay-order with `from` replaced by `to` has exactly the `expected` problems, in order,
 * each with its code and, where `at` is given, at the line and column where `at` starts.
 */
function expectBroken(from: string, to: string, expected: { code: string; at?: string }[]): void {
  const { changed, problems } = broken(from, to);
  expect(problems).toEqual(
    expected.map(({ code, at }) =>
      expect.objectContaining(at === undefined ? { code } : { code, ...positionOf(changed, at) }),
    ),
  );
}

describe("pay-order, broken: each problem at its line and column", () => {
  it("a condition on a field the input does not declare", () => {
    expectBroken('"path": "$.input.totalCents"', '"path": "$.input.amountCents"', [
      { code: "SAGA_PATH_NOT_IN_SCHEMA", at: '"path": "$.input.amountCents"' },
    ]);
  });

  it("a comparison that does not fit the field's type", () => {
    expectBroken('"path": "$.input.totalCents"', '"path": "$.input.customerId"', [
      { code: "SAGA_CONDITION_TYPE_MISMATCH", at: '"greaterThan"' },
    ]);
  });

  it("a condition on a field the input does not require, unguarded", () => {
    expectBroken(
      '"required": ["customerId", "paymentId", "items", "totalCents"]',
      '"required": ["customerId", "paymentId", "items"]',
      [{ code: "SAGA_CONDITION_PATH_UNGUARDED", at: '"path": "$.input.totalCents"' }],
    );
  });

  it("an await without a deadline", () => {
    expectBroken(',\n      "deadline": { "after": "2h", "otherwise": "compensate" }', "", [
      { code: "SAGA_AWAIT_DEADLINE_MISSING", at: '{\n      "name": "await-payment"' },
    ]);
  });

  it("an await deadline longer than the saga's", () => {
    expectBroken('"after": "2h"', '"after": "4h"', [
      { code: "SAGA_AWAIT_DEADLINE_EXCEEDS_SAGA_TIMEOUT", at: '"after": "4h"' },
    ]);
  });

  it("a correlation key the events could never carry, and one the input may lack", () => {
    expectBroken('"correlation": "$.input.paymentId"', '"correlation": "$.input.totalCents"', [
      { code: "SAGA_AWAIT_CORRELATION_TYPE_MISMATCH", at: '"correlation"' },
      { code: "SAGA_AWAIT_CORRELATION_TYPE_MISMATCH" },
    ]);
    expectBroken(
      '"required": ["customerId", "paymentId", "items", "totalCents"]',
      '"required": ["customerId", "items", "totalCents"]',
      [{ code: "SAGA_AWAIT_CORRELATION_OPTIONAL", at: '"correlation"' }],
    );
  });

  it("a later step reading a step that may not have run", () => {
    expectBroken(
      '"paymentId": "$.steps.await-payment.event.paymentId"',
      '"paymentId": "$.steps.fraud-check.response.body.customerId"',
      [{ code: "SAGA_PATH_STEP_MAY_NOT_RUN", at: '"paymentId": "$.steps.fraud-check' }],
    );
  });

  it("an event the provider does not send, and a later step reading the event wrongly", () => {
    expectBroken('"success": ["PaymentCaptured"]', '"success": ["PaymentSettled"]', [
      { code: "SAGA_EVENT_UNKNOWN", at: '"PaymentSettled"' },
    ]);
    expectBroken("$.steps.await-payment.event.paymentId", "$.steps.await-payment.reply.paymentId", [
      { code: "SAGA_PATH_STEP_ACCESSOR", at: '"paymentId": "$.steps.await-payment' },
    ]);
  });
});

// A wait for an outside event on the same forward line as a parallel group: the wait opens only
// once every branch has joined, an event for it that comes while the branches run is not applied,
// and its deadline or a refusing event undoes every branch before the steps ahead of the group.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import { compileSagaOrThrow } from "@sagaworks/saga-definition";
import { describe, expect, it } from "vitest";
import { assertCleanExploration, exploreSaga, sagaTest } from "./testing/index.ts";

// biome-ignore lint/suspicious/noExplicitAny: the test edits the authored JSON freely
type Json = any;

/** The shipped split-order with a wait for the payment between its group and its pivot. */
function splitOrderThenPayment() {
  const file = join(import.meta.dirname, "../../../../saga-definitions/split-order.saga.json");
  const definition: Json = JSON.parse(readFileSync(file, "utf8"));
  definition.name = "split-order-then-payment";
  definition.input.properties.paymentId = { type: "string", minLength: 1 };
  definition.input.required.push("paymentId");
  definition.steps.splice(2, 0, {
    name: "await-payment",
    kind: "await",
    service: "payment-provider",
    correlation: "$.input.paymentId",
    outcomes: { success: ["PaymentCaptured"], businessFailure: ["PaymentDeclined"] },
    deadline: { after: "30m", otherwise: "compensate" },
  });
  return compileSagaOrThrow(definition, { contracts: serviceContracts });
}

const compiled = splitOrderThenPayment();
const input = {
  customerId: "cust-1",
  coPayerId: "cust-2",
  coPayerReservationId: "share-1",
  items: [{ sku: "sku-1", quantity: 2, unitPriceCents: 750 }],
  totalCents: 1500,
  payerCents: 1000,
  coPayerCents: 500,
  paymentId: "pay-1",
};
const PAYER = "reserve-payer-share";
const CO_PAYER = "reserve-co-payer-share";
const captured = { paymentId: "pay-1", orderId: "o-1", amountCents: 1500, capturedAt: "now" };

/** Order created and both shares held: the saga now waits for the payment. */
function waitingForPayment() {
  const saga = sagaTest(compiled).start(input);
  saga.reply("create-order", "OrderCreated", {
    orderId: saga.sagaId,
    customerId: "cust-1",
    status: "PENDING",
    totalCents: 1500,
  });
  saga.reply(CO_PAYER, "CreditReserved");
  saga.reply(PAYER, "CreditReserved");
  return saga;
}

describe("an await step after a parallel group", () => {
  it("opens the wait once both branches have joined, and goes on to the pivot on the event", () => {
    const saga = sagaTest(compiled).start(input);
    saga.reply("create-order", "OrderCreated", { orderId: saga.sagaId });
    // While the branches run the saga waits for no event: the payment is not applied early.
    expect(saga.event("await-payment", "PaymentCaptured", captured, { key: "pay-1" }).applied).toBe(
      false,
    );
    saga.reply(PAYER, "CreditReserved");
    expect(saga.waitingOn()?.step).toBe(CO_PAYER);
    saga.reply(CO_PAYER, "CreditReserved");
    expect(saga.waitingOnAll()).toMatchObject([
      { step: "await-payment", waitingFor: "event", wait: { key: "pay-1" } },
    ]);
    saga.event("await-payment", "PaymentCaptured", captured);
    saga.reply("approve-order", "OrderApproved");
    expect(saga.status).toBe("completed");
  });

  it("a deadline with no event undoes both branches, then the order", () => {
    const saga = waitingForPayment();
    const passed = saga.advance("30m");
    expect(saga.snapshot?.state).toBe("unwind:reserve-shares");
    expect(
      passed.flatMap((result) =>
        result.effects.flatMap((e) => (e.type === "send-command" ? [e.step] : [])),
      ),
    ).toEqual([PAYER, CO_PAYER]);
    saga.reply(CO_PAYER, "CreditReleased", {}, { compensation: true });
    saga.reply(PAYER, "CreditReleased", {}, { compensation: true });
    saga.reply("create-order", "OrderRejected", {}, { compensation: true });
    expect(saga.status).toBe("compensated");
    expect(saga.snapshot?.failure).toMatchObject({ step: "await-payment", kind: "deadline" });
    expect(saga.compensations().sort()).toEqual(["create-order", CO_PAYER, PAYER].sort());
  });

  it("an operator completes the wait by naming it, and the one pending step needs no --step guess", () => {
    const saga = waitingForPayment();
    const expected = { step: "await-payment", attempt: 1, compensation: false };
    const done = saga.operator({
      action: "complete-wait",
      event: "PaymentCaptured",
      payload: captured,
      expected,
    });
    expect(done.applied).toBe(true);
    expect(saga.waitingOn()?.step).toBe("approve-order");
  });

  it("explored: every answer order in the group and every outcome of the wait keeps the rules", () => {
    const report = exploreSaga(compiled, { input, maxPaths: 200_000 });
    assertCleanExploration(report);
    expect(report.endings.completed).toBeGreaterThan(0);
    expect(report.endings.compensated).toBeGreaterThan(0);
  });
});

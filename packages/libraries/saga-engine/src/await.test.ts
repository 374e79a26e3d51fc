// The engine's await semantics on a saga whose wait comes after the pivot: the deadline parks the
// saga instead of compensating, an operator re-opens or completes the wait, and a key that is
// missing or taken fails the step at once.
import { serviceContracts } from "@sagaworks/contracts";
import { compileSagaOrThrow } from "@sagaworks/saga-definition";
import { createOrderStep } from "@sagaworks/saga-definition/testing";
import { describe, expect, it } from "vitest";
import { sagaTest } from "./testing/index.ts";
import { transition } from "./transition.ts";

const definition = {
  name: "ship-after-payment",
  version: 1,
  description: "creates an order, approves it, then waits for the payment",
  input: {
    type: "object",
    properties: { customerId: { type: "string" }, paymentId: { type: "string" } },
    required: ["customerId", "paymentId"],
  },
  timeout: "1d",
  steps: [
    createOrderStep({ pivot: true }),
    {
      name: "await-payment",
      kind: "await",
      service: "payment-provider",
      correlation: "$.input.paymentId",
      outcomes: { success: ["PaymentCaptured"] },
      deadline: { after: "1h", otherwise: "needs-intervention" },
    },
  ],
};
const compiled = compileSagaOrThrow(definition, { contracts: serviceContracts });
const captured = { paymentId: "pay-1", orderId: "o", amountCents: 1, capturedAt: "now" };

function waitingSaga(paymentId = "pay-1") {
  const saga = sagaTest(compiled).start({ customerId: "c", paymentId });
  saga.reply("create-order", "OrderCreated", {});
  return saga;
}

describe("await after the pivot", () => {
  it("parks the saga when the deadline passes, and an operator re-opens the wait", () => {
    const saga = waitingSaga();
    saga.advance("1h");
    expect(saga.status).toBe("needs-intervention");
    expect(saga.event("await-payment", "PaymentCaptured", captured, { key: "pay-1" }).applied).toBe(
      false,
    );
    const expected = { step: "await-payment", attempt: 1, compensation: false };
    const reopened = saga.operator({ action: "reopen-wait", expected });
    expect(reopened.applied).toBe(true);
    expect(saga.waitingOn()).toMatchObject({
      step: "await-payment",
      attempt: 2,
      waitingFor: "event",
    });
    saga.event("await-payment", "PaymentCaptured", captured);
    expect(saga.status).toBe("completed");
  });

  it("refuses to re-open a wait that is still open, and to complete it with an event it does not wait for", () => {
    const saga = waitingSaga();
    const expected = { step: "await-payment", attempt: 1, compensation: false };
    expect(saga.operator({ action: "reopen-wait", expected }).refused?.code).toBe(
      "WAIT_STILL_OPEN",
    );
    const wrong = saga.operator({
      action: "complete-wait",
      event: "PaymentDeclined",
      payload: {},
      expected,
    });
    expect(wrong.refused?.code).toBe("EVENT_NOT_WAITED_FOR");
  });

  it("completes a parked wait by hand with the payload", () => {
    const saga = waitingSaga();
    saga.advance("1h");
    const expected = { step: "await-payment", attempt: 1, compensation: false };
    saga.operator({
      action: "complete-wait",
      event: "PaymentCaptured",
      payload: captured,
      expected,
    });
    expect(saga.status).toBe("completed");
    expect(saga.snapshot?.steps["await-payment"]?.output).toEqual(captured);
  });

  it("fails the step when another saga holds the key, or the key is empty", () => {
    const saga = sagaTest(compiled).start({ customerId: "c", paymentId: "pay-1" });
    const before = saga.snapshot;
    const command = saga.effects().find((effect) => effect.type === "send-command");
    if (!before || command?.type !== "send-command") throw new Error("the saga did not start");
    // What the orchestrator does when it sees the wait open on a key another saga holds: the
    // same event again, with the key marked taken.
    const held = transition(
      compiled,
      before,
      {
        type: "reply",
        step: "create-order",
        attempt: 1,
        compensation: false,
        name: "OrderCreated",
        payload: {},
        causationId: command.messageId,
      },
      {
        now: saga.now,
        random: () => 0.5,
        heldWaitKeys: new Set(["payment-provider:pay-1"]),
      },
    );
    expect(held.snapshot.failure).toMatchObject({ step: "await-payment", code: "AWAIT_KEY_TAKEN" });
    expect(held.snapshot.status).toBe("needs-intervention");

    const empty = waitingSaga("");
    expect(empty.snapshot?.failure).toMatchObject({ code: "AWAIT_KEY_MISSING" });
  });
});

// The author's tests of cancel-order, written with the test kit (no broker, no database).
import { fileURLToPath } from "node:url";
import { serviceContracts } from "@sagaworks/contracts";
import { checkDefinitionFile } from "@sagaworks/saga-definition/files";
import { sagaTest } from "@sagaworks/saga-engine/testing";
import { describe, expect, it } from "vitest";

const result = await checkDefinitionFile(
  fileURLToPath(new URL("./cancel-order.saga.json", import.meta.url)),
  { contracts: serviceContracts, displayName: "cancel-order.saga.json" },
);
if (!result.saga) throw new Error(JSON.stringify(result.problems));
const cancelOrder = result.saga;

const input = { orderId: "order-1", reason: "changed my mind" };
const started = {
  orderId: "order-1",
  customerId: "cust-1",
  totalCents: 1500,
  status: "CANCELLING",
};

describe("cancel-order", () => {
  it("releases the credit read from the first step's reply, then cancels the order", () => {
    const saga = sagaTest(cancelOrder).start(input);
    saga.reply("begin-cancellation", "OrderCancellationStarted", started);
    saga.reply("release-credit", "CreditReleased", { orderId: "order-1", amountCents: 1500 });
    saga.reply("cancel-order", "OrderCancelled", { orderId: "order-1" });
    expect(saga.status).toBe("completed");
    expect(saga.commands().map((c) => [c.command, c.payload])).toEqual([
      ["BeginOrderCancellation", { orderId: "order-1", reason: "changed my mind" }],
      ["ReleaseCredit", { customerId: "cust-1", orderId: "order-1", amountCents: 1500 }],
      ["CancelOrder", { orderId: "order-1" }],
    ]);
  });

  it("puts the order back when there is no reservation to release", () => {
    const saga = sagaTest(cancelOrder).start(input);
    saga.reply("begin-cancellation", "OrderCancellationStarted", started);
    saga.reply("release-credit", "CreditReservationNotFound", { message: "nothing reserved" });
    expect(saga.commands().at(-1)).toMatchObject({
      command: "RevertOrderCancellation",
      payload: { orderId: "order-1", reason: "nothing reserved" },
      compensation: true,
    });
    saga.reply("begin-cancellation", "OrderCancellationReverted", {}, { compensation: true });
    expect(saga.path()).toEqual([
      "begin-cancellation",
      "release-credit",
      "compensate:begin-cancellation",
      "compensated",
    ]);
  });

  it("retries cancel-order after the pivot until it succeeds, never compensating", () => {
    const saga = sagaTest(cancelOrder).start(input);
    saga.reply("begin-cancellation", "OrderCancellationStarted", started);
    saga.reply("release-credit", "CreditReleased", {});
    saga.fail("cancel-order", "DATABASE_DOWN");
    saga.advance("2s");
    saga.timeout("cancel-order");
    saga.advance("5s");
    expect(saga.waitingOn()).toMatchObject({ step: "cancel-order", attempt: 3 });
    saga.reply("cancel-order", "OrderCancelled", {});
    expect(saga.status).toBe("completed");
    expect(saga.compensations()).toEqual([]);
  });
});

// The author's tests of create-order, written with the test kit: no broker, no database; the
// real engine runs the compiled definition and each participant's answer is scripted.
import { fileURLToPath } from "node:url";
import { serviceContracts } from "@sagaworks/contracts";
import { checkDefinitionFile } from "@sagaworks/saga-definition/files";
import { sagaTest } from "@sagaworks/saga-engine/testing";
import { describe, expect, it } from "vitest";

const result = await checkDefinitionFile(
  fileURLToPath(new URL("./create-order.saga.json", import.meta.url)),
  { contracts: serviceContracts, displayName: "create-order.saga.json" },
);
if (!result.saga) throw new Error(JSON.stringify(result.problems));
const createOrder = result.saga;

const input = {
  customerId: "cust-1",
  items: [{ sku: "sku-1", quantity: 2, unitPriceCents: 750 }],
  totalCents: 1500,
};
const customer = { id: "cust-1", name: "Ada", email: "ada@example.com" };

describe("create-order", () => {
  it("approves an order once the credit is reserved", () => {
    const saga = sagaTest(createOrder).start(input);
    expect(saga.calls()).toMatchObject([{ method: "GET", path: "/customers/cust-1" }]);
    saga.respond("verify-customer", 200, customer);
    saga.reply("create-order", "OrderCreated", {
      orderId: saga.sagaId,
      customerId: "cust-1",
      status: "PENDING",
      totalCents: 1500,
    });
    saga.reply("reserve-credit", "CreditReserved", { orderId: saga.sagaId, amountCents: 1500 });
    saga.reply("approve-order", "OrderApproved", { orderId: saga.sagaId });
    expect(saga.status).toBe("completed");
    expect(saga.path()).toEqual([
      "verify-customer",
      "create-order",
      "reserve-credit",
      "approve-order",
      "completed",
    ]);
    expect(saga.commands().map((c) => [c.command, c.payload])).toEqual([
      [
        "CreateOrder",
        { orderId: saga.sagaId, customerId: "cust-1", items: input.items, totalCents: 1500 },
      ],
      ["ReserveCredit", { customerId: "cust-1", orderId: saga.sagaId, amountCents: 1500 }],
      ["ApproveOrder", { orderId: saga.sagaId }],
    ]);
  });

  it("rejects the order when the credit limit is exceeded", () => {
    const saga = sagaTest(createOrder).start(input);
    saga.respond("verify-customer", 200, customer);
    saga.reply("create-order", "OrderCreated", { orderId: saga.sagaId, totalCents: 1500 });
    saga.reply("reserve-credit", "CreditLimitExceeded", { message: "limit 1000" });
    expect(saga.compensations()).toEqual(["create-order"]);
    expect(saga.commands().at(-1)).toEqual({
      step: "create-order",
      command: "RejectOrder",
      payload: { orderId: saga.sagaId, reason: "limit 1000" },
      attempt: 1,
      compensation: true,
    });
    saga.reply("create-order", "OrderRejected", { orderId: saga.sagaId }, { compensation: true });
    expect(saga.status).toBe("compensated");
  });

  it("ends failed, with nothing to undo, for an unknown customer", () => {
    const saga = sagaTest(createOrder).start(input);
    saga.respond("verify-customer", 404, { message: "no such customer" });
    expect(saga.status).toBe("failed");
    expect(saga.commands()).toEqual([]);
  });

  it("undoes the order when create-order never answers, and refuses its late reply", () => {
    const saga = sagaTest(createOrder).start(input);
    saga.respond("verify-customer", 200, customer);
    for (let attempt = 1; attempt <= 5; attempt++) {
      saga.timeout("create-order");
      if (attempt < 5) saga.retry("create-order");
    }
    expect(saga.waitingOn()).toMatchObject({ step: "create-order", compensation: true });
    expect(saga.reply("create-order", "OrderCreated", {}, { attempt: 1 }).applied).toBe(false);
    saga.reply("create-order", "OrderRejected", {}, { compensation: true });
    expect(saga.path()).toEqual([
      "verify-customer",
      "create-order",
      "compensate:create-order",
      "compensated",
    ]);
  });

  it("parks for an operator when the pivot never answers: its effect cannot be undone", () => {
    const saga = sagaTest(createOrder).start(input);
    saga.respond("verify-customer", 200, customer);
    saga.reply("create-order", "OrderCreated", { orderId: saga.sagaId, totalCents: 1500 });
    saga.advance("1h");
    expect(saga.status).toBe("needs-intervention");
    expect(saga.compensations()).toEqual([]);
  });
});

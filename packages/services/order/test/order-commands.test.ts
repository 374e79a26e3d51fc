import { randomUUID } from "node:crypto";
import { waitFor } from "@sagaworks/participant-sdk/testing";
import type { ParticipantWorld } from "@sagaworks/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrderStore } from "../src/index.ts";
import { startOrderWorld } from "./order-world.ts";

let w: ParticipantWorld;
beforeAll(async () => {
  w = await startOrderWorld("order commands");
});
afterAll(async () => {
  await w?.close();
});

const items = [
  { sku: "book", quantity: 2, unitPriceCents: 1_250 },
  { sku: "pen", quantity: 1, unitPriceCents: 300 },
];

function createCommand(orderId: string, overrides: Record<string, unknown> = {}, attempt = 1) {
  return w.command(
    "CreateOrder",
    { orderId, customerId: "cust-ada", items, totalCents: 2_800, ...overrides },
    { sagaId: orderId, step: "create-order", attempt },
  );
}

const order = (id: string) => createOrderStore(w.db.knex).get(id);
const orderCount = async (id: string) =>
  Number((await w.db.knex("orders").where({ id }).count({ n: "*" }))[0]?.n);

/** Creates a PENDING order through its saga's first step; returns the order id. */
async function created(): Promise<string> {
  const orderId = randomUUID();
  expect((await w.ask(createCommand(orderId))).name).toBe("OrderCreated");
  return orderId;
}

/** Creates and approves an order; returns its id. */
async function approved(): Promise<string> {
  const orderId = await created();
  const approve = w.command("ApproveOrder", { orderId }, { sagaId: orderId, step: "approve" });
  expect((await w.ask(approve)).name).toBe("OrderApproved");
  return orderId;
}

describe("CreateOrder", () => {
  it("creates a PENDING order and answers a duplicate with the same reply and no second order", async () => {
    const orderId = randomUUID();
    const first = createCommand(orderId);
    const reply = await w.ask(first);
    expect(reply).toMatchObject({
      name: "OrderCreated",
      payload: { orderId, customerId: "cust-ada", status: "PENDING", totalCents: 2_800 },
    });
    const duplicates = w.service.participant.stats.duplicates;
    const retry = createCommand(orderId, {}, 2);
    const again = await w.ask(retry);
    expect(again.payload).toEqual(reply.payload);
    expect(w.service.participant.stats.duplicates).toBe(duplicates + 1);
    expect(await orderCount(orderId)).toBe(1);
    expect(await order(orderId)).toMatchObject({
      customerId: "cust-ada",
      items,
      totalCents: 2_800,
      status: "PENDING",
      lockedBySaga: orderId,
      note: null,
    });
  });

  it("confirms an identical order sent under another key, and refuses other content for its id", async () => {
    const orderId = await created();
    // Another idempotency key (a manual replay): the inbox does not know it, the table does.
    const replay = w.command(
      "CreateOrder",
      { orderId, customerId: "cust-ada", items, totalCents: 2_800 },
      { step: "replayed" },
    );
    expect((await w.ask(replay)).payload).toMatchObject({ orderId, status: "PENDING" });
    const other = w.command(
      "CreateOrder",
      { orderId, customerId: "cust-bob", items, totalCents: 2_800 },
      { step: "other" },
    );
    const conflict = await w.ask(other);
    expect(conflict).toMatchObject({
      name: "CommandFailed",
      payload: { code: "ORDER_ID_CONFLICT" },
    });
    expect(await order(orderId)).toMatchObject({ customerId: "cust-ada", status: "PENDING" });
  });

  it("refuses to confirm an identical order that has moved on", async () => {
    const orderId = await approved();
    const replay = w.command(
      "CreateOrder",
      { orderId, customerId: "cust-ada", items, totalCents: 2_800 },
      { step: "replayed" },
    );
    const reply = await w.ask(replay);
    expect(reply.payload).toMatchObject({ code: "ORDER_ID_CONFLICT" });
    expect(String(reply.payload.message)).toContain("APPROVED");
  });
});

describe("RejectOrder", () => {
  it("rejects a PENDING order once, keeping the reason, and answers again without a change", async () => {
    const orderId = await created();
    const reject = w.command(
      "RejectOrder",
      { orderId, reason: "credit limit exceeded" },
      { sagaId: orderId, step: "create-order", compensation: true },
    );
    expect(await w.ask(reject)).toMatchObject({
      name: "OrderRejected",
      payload: { orderId, status: "REJECTED" },
    });
    const before = await order(orderId);
    expect(before).toMatchObject({
      status: "REJECTED",
      statusReason: "credit limit exceeded",
      lockedBySaga: null,
    });
    const replay = w.command("RejectOrder", { orderId, reason: "again" }, { step: "other" });
    expect((await w.ask(replay)).name).toBe("OrderRejected");
    expect(await order(orderId)).toEqual(before);
  });

  it("as a compensation, never rejects an order another saga created", async () => {
    const orderId = await created();
    // A second saga names the same order: its CreateOrder is confirmed as a replay …
    const intruder = randomUUID();
    const replay = w.command(
      "CreateOrder",
      { orderId, customerId: "cust-ada", items, totalCents: 2_800 },
      { sagaId: intruder, step: "create-order" },
    );
    expect((await w.ask(replay)).name).toBe("OrderCreated");
    // … but its compensation leaves the owner's order PENDING and locked by the owner.
    const undo = w.command(
      "RejectOrder",
      { orderId, reason: "not mine" },
      { sagaId: intruder, step: "create-order", compensation: true },
    );
    expect((await w.ask(undo)).name).toBe("OrderRejected");
    expect(await order(orderId)).toMatchObject({ status: "PENDING", lockedBySaga: orderId });
  });

  it("refuses to reject an approved order", async () => {
    const orderId = await approved();
    const reject = w.command(
      "RejectOrder",
      { orderId, reason: "too late" },
      { sagaId: orderId, step: "create-order", compensation: true },
    );
    expect((await w.ask(reject)).payload).toMatchObject({ code: "ORDER_NOT_REJECTABLE" });
    expect((await order(orderId))?.status).toBe("APPROVED");
  });

  it("arriving before CreateOrder, leaves a guard: the late CreateOrder is refused and creates nothing", async () => {
    const orderId = randomUUID();
    const reject = w.command(
      "RejectOrder",
      { orderId, reason: "the saga timed out" },
      { sagaId: orderId, step: "create-order", compensation: true },
    );
    expect(await w.ask(reject)).toMatchObject({ name: "OrderRejected", payload: { orderId } });
    const refused = w.service.participant.stats.refusedByGuard;
    await w.send(createCommand(orderId));
    await waitFor(() => w.service.participant.stats.refusedByGuard === refused + 1, {
      description: "the late CreateOrder to be refused",
    });
    expect(await order(orderId)).toBeUndefined();
    expect(w.replies.forSaga(orderId).map((r) => r.name)).toEqual(["OrderRejected"]);
  });
});

describe("ApproveOrder", () => {
  it("approves a PENDING order, releases the saga's lock, and is idempotent", async () => {
    const orderId = await created();
    const approve = w.command("ApproveOrder", { orderId }, { sagaId: orderId, step: "approve" });
    expect(await w.ask(approve)).toMatchObject({
      name: "OrderApproved",
      payload: { orderId, status: "APPROVED" },
    });
    expect(await order(orderId)).toMatchObject({ status: "APPROVED", lockedBySaga: null });
    const again = w.command("ApproveOrder", { orderId }, { step: "approve-again" });
    expect((await w.ask(again)).name).toBe("OrderApproved");
  });

  it("refuses a rejected order, and reports an unknown one", async () => {
    const orderId = await created();
    await w.ask(
      w.command(
        "RejectOrder",
        { orderId, reason: "no" },
        { sagaId: orderId, step: "create-order", compensation: true },
      ),
    );
    const approve = w.command("ApproveOrder", { orderId }, { sagaId: orderId, step: "approve" });
    expect((await w.ask(approve)).payload).toMatchObject({ code: "ORDER_NOT_APPROVABLE" });
    expect((await order(orderId))?.status).toBe("REJECTED");
    const unknown = w.command("ApproveOrder", { orderId: randomUUID() });
    expect((await w.ask(unknown)).payload).toMatchObject({ code: "ORDER_NOT_FOUND" });
  });
});

describe("cancellation", () => {
  const begin = (orderId: string, sagaId = randomUUID()) =>
    w.command(
      "BeginOrderCancellation",
      { orderId, reason: "customer asked" },
      { sagaId, step: "begin-cancellation" },
    );
  const revert = (orderId: string, sagaId: string) =>
    w.command(
      "RevertOrderCancellation",
      { orderId, reason: "refund failed" },
      { sagaId, step: "begin-cancellation", compensation: true },
    );
  const cancel = (orderId: string, sagaId: string) =>
    w.command("CancelOrder", { orderId }, { sagaId, step: "cancel-order" });

  it("begins, reverts and begins again, then cancels; each step idempotent", async () => {
    const orderId = await approved();
    const first = randomUUID();
    expect(await w.ask(begin(orderId, first))).toMatchObject({
      name: "OrderCancellationStarted",
      payload: { orderId, customerId: "cust-ada", totalCents: 2_800, status: "CANCELLING" },
    });
    expect(await order(orderId)).toMatchObject({
      status: "CANCELLING",
      lockedBySaga: first,
      statusReason: "customer asked",
    });

    // A second cancellation while the first owns the order is a business failure.
    expect(await w.ask(begin(orderId))).toMatchObject({
      name: "OrderNotCancellable",
      payload: { orderId, status: "CANCELLING" },
    });

    const undo = revert(orderId, first);
    expect(await w.ask(undo)).toMatchObject({
      name: "OrderCancellationReverted",
      payload: { orderId, status: "APPROVED" },
    });
    expect((await w.ask(revert(orderId, first))).name).toBe("OrderCancellationReverted");
    expect(await order(orderId)).toMatchObject({ status: "APPROVED", lockedBySaga: null });

    const second = randomUUID();
    expect((await w.ask(begin(orderId, second))).name).toBe("OrderCancellationStarted");
    // The first saga's late compensation must not undo the second saga's cancellation.
    const stale = w.command(
      "RevertOrderCancellation",
      { orderId, reason: "stale" },
      { sagaId: first, step: "replayed", compensation: true },
    );
    expect((await w.ask(stale)).name).toBe("OrderCancellationReverted");
    expect((await order(orderId))?.status).toBe("CANCELLING");

    const done = await w.ask(cancel(orderId, second));
    expect(done).toMatchObject({
      name: "OrderCancelled",
      payload: { orderId, status: "CANCELLED" },
    });
    const replay = w.command("CancelOrder", { orderId }, { sagaId: second, step: "replayed" });
    expect((await w.ask(replay)).payload).toEqual(done.payload);
    expect(await order(orderId)).toMatchObject({ status: "CANCELLED", lockedBySaga: null });

    expect(await w.ask(begin(orderId))).toMatchObject({
      name: "OrderNotCancellable",
      payload: { status: "CANCELLED" },
    });
  });

  it("answers OrderNotCancellable with the real status for a PENDING order, and fails an unknown one", async () => {
    const orderId = await created();
    expect(await w.ask(begin(orderId))).toMatchObject({
      name: "OrderNotCancellable",
      payload: { orderId, status: "PENDING" },
    });
    expect((await order(orderId))?.status).toBe("PENDING");
    expect((await w.ask(begin(randomUUID()))).payload).toMatchObject({ code: "ORDER_NOT_FOUND" });
  });

  it("refuses CancelOrder for an order that is not CANCELLING", async () => {
    const orderId = await approved();
    expect((await w.ask(cancel(orderId, randomUUID()))).payload).toMatchObject({
      code: "ORDER_NOT_CANCELLABLE",
    });
    expect((await order(orderId))?.status).toBe("APPROVED");
  });

  it("a revert before its begin leaves a guard: the late begin is refused and the order stays APPROVED", async () => {
    const orderId = await approved();
    const sagaId = randomUUID();
    expect((await w.ask(revert(orderId, sagaId))).name).toBe("OrderCancellationReverted");
    const refused = w.service.participant.stats.refusedByGuard;
    await w.send(begin(orderId, sagaId));
    await waitFor(() => w.service.participant.stats.refusedByGuard === refused + 1, {
      description: "the late BeginOrderCancellation to be refused",
    });
    expect(await order(orderId)).toMatchObject({ status: "APPROVED", lockedBySaga: null });
    expect(w.replies.forSaga(sagaId).map((r) => r.name)).toEqual(["OrderCancellationReverted"]);
  });
});

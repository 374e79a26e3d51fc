import { randomUUID } from "node:crypto";
import type { ParticipantWorld } from "@sagaworks/service-kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrderStore, orderView } from "../src/index.ts";
import { startOrderWorld } from "./order-world.ts";

let w: ParticipantWorld;
beforeAll(async () => {
  w = await startOrderWorld("order api");
});
afterAll(async () => {
  await w?.close();
});

const items = [{ sku: "lamp", quantity: 1, unitPriceCents: 4_500 }];

/** Creates an order through CreateOrder, as the saga does; returns its id. */
async function createOrder(customerId = "cust-api"): Promise<string> {
  const orderId = randomUUID();
  const command = w.command(
    "CreateOrder",
    { orderId, customerId, items, totalCents: 4_500 },
    { sagaId: orderId, step: "create-order" },
  );
  expect((await w.ask(command)).name).toBe("OrderCreated");
  return orderId;
}

async function approve(orderId: string) {
  const command = w.command("ApproveOrder", { orderId }, { sagaId: orderId, step: "approve" });
  expect((await w.ask(command)).name).toBe("OrderApproved");
}

describe("GET /orders/:id", () => {
  it("reads an order in the documented shape", async () => {
    const orderId = await createOrder();
    const response = await w.call("GET", `/orders/${orderId}`);
    expect(response.status).toBe(200);
    expect(orderView.strict().parse(response.body)).toEqual(response.body);
    expect(response.body).toMatchObject({
      id: orderId,
      customerId: "cust-api",
      items,
      totalCents: 4_500,
      status: "PENDING",
      note: null,
      lockedBySaga: orderId,
    });
  });

  it("answers 404 ORDER_NOT_FOUND for an unknown id", async () => {
    const response = await w.call("GET", "/orders/nobody");
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: "ORDER_NOT_FOUND" });
    expect(response.body.message).toContain("nobody");
  });
});

describe("GET /orders", () => {
  it("lists one customer's orders newest first, page by page, without gaps or repeats", async () => {
    const customerId = `cust-pages-${randomUUID()}`;
    // Orders written in one transaction share created_at (now() is the transaction's start),
    // so the pages must fall back on the id to keep their order.
    const ids = Array.from({ length: 7 }, () => randomUUID());
    await w.db.knex.transaction(async (trx) => {
      for (const id of ids) {
        await createOrderStore(trx).insertIfAbsent({
          id,
          customerId,
          items,
          totalCents: 4_500,
          lockedBySaga: id,
        });
      }
    });
    const store = createOrderStore(w.db.knex);
    await createOrder("cust-someone-else");

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/orders?customerId=${customerId}&limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await w.call("GET", query);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((o: { id: string }) => o.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect([...seen].sort()).toEqual([...ids].sort());
    const rows = await store.list({ customerId, limit: 10 });
    expect(seen).toEqual(rows.map((o) => o.id));
    const times = rows.map((o) => o.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("answers 400 with details for a bad limit or a foreign cursor", async () => {
    const badLimit = await w.call("GET", "/orders?limit=0");
    expect(badLimit.status).toBe(400);
    expect(badLimit.body).toMatchObject({
      code: "REQUEST_INVALID",
      details: [expect.objectContaining({ path: "querystring.limit" })],
    });
    const badCursor = await w.call("GET", "/orders?cursor=not-a-cursor");
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.code).toBe("CURSOR_INVALID");
  });
});

describe("PATCH /orders/:id", () => {
  it("refuses 409 ORDER_LOCKED while a saga owns the order, and changes nothing", async () => {
    const orderId = await createOrder();
    const response = await w.call("PATCH", `/orders/${orderId}`, { note: "gift wrap" });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      code: "ORDER_LOCKED",
      details: { status: "PENDING", lockedBySaga: orderId },
    });
    expect(response.body.message).toMatch(/saga .*owns it/);
    expect((await w.call("GET", `/orders/${orderId}`)).body.note).toBeNull();
  });

  it("sets and clears the note of an approved order", async () => {
    const orderId = await createOrder();
    await approve(orderId);
    const set = await w.call("PATCH", `/orders/${orderId}`, { note: "gift wrap" });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ id: orderId, status: "APPROVED", note: "gift wrap" });
    const cleared = await w.call("PATCH", `/orders/${orderId}`, { note: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.note).toBeNull();
  });

  it("answers 404 for an unknown order and 400 with details for a bad body", async () => {
    expect((await w.call("PATCH", "/orders/nobody", { note: "x" })).status).toBe(404);
    const orderId = await createOrder();
    const unknownField = await w.call("PATCH", `/orders/${orderId}`, { note: "x", status: "X" });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.details).toEqual([expect.objectContaining({ path: "body.status" })]);
    const wrongType = await w.call("PATCH", `/orders/${orderId}`, { note: 42 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.details).toEqual([expect.objectContaining({ path: "body.note" })]);
    const malformed = await w.call("PATCH", `/orders/${orderId}`, "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe("REQUEST_MALFORMED");
  });

  it("serves OpenAPI and readiness", async () => {
    expect((await w.call("GET", "/ready")).body).toEqual({ status: "ready" });
    const docs = await w.call("GET", "/docs/json");
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(["/orders/{id}", "/orders"]),
    );
  });
});

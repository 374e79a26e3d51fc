// Chained steps end to end: with `chainSteps` on, create-order's three commands travel as one
// chain through the real order and account services (each sends the next command itself) and
// the orchestrator gets one reply carrying all three answers; a business failure in the middle
// of the chain still compensates what ran before it.
import type { RunningSystem } from "@sagaworks/system";
import { openCustomer, startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readAccount } from "./e2e.fixtures.ts";

const TOKEN = "e2e-chain-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };

let s: RunningSystem;
beforeAll(async () => {
  s = await startTestSystem("chained steps", {
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: TOKEN,
    chainSteps: true,
  });
}, 180_000);
afterAll(async () => {
  if (s) await stopSystemAndDropSchemas(s);
});

interface HistoryEntry {
  eventType: string;
  applied: boolean;
  event: { forwarded?: boolean; step?: string; name?: string };
}

interface SagaView {
  snapshot: { status: string; steps: Record<string, { status: string }> };
  history: HistoryEntry[];
}

async function startOrder(customerId: string, totalCents: number): Promise<string> {
  const response = await fetch(`${s.urls.orchestrator}/sagas/create-order`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({
      input: {
        customerId,
        items: [{ sku: "book", quantity: 1, unitPriceCents: totalCents }],
        totalCents,
      },
    }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { sagaId: string }).sagaId;
}

async function settled(sagaId: string): Promise<SagaView> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const saga = (await (
      await fetch(`${s.urls.orchestrator}/sagas/${sagaId}`, { headers: auth })
    ).json()) as SagaView;
    if (!["running", "compensating"].includes(saga.snapshot.status)) return saga;
    if (Date.now() > deadline) throw new Error(`saga ${sagaId} still ${saga.snapshot.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The replies the saga applied: each step's answer, and whether a chain carried it. */
const replies = (saga: SagaView) =>
  saga.history
    .filter((entry) => entry.eventType === "reply" && entry.applied)
    .map((entry) => [entry.event.step, entry.event.name, entry.event.forwarded === true]);

describe("chained steps", () => {
  it("runs create-order as one chain: the participants send the commands, one reply carries all", async () => {
    const customer = await openCustomer(s, 50_000);
    const sagaId = await startOrder(customer, 1_234);
    const saga = await settled(sagaId);
    expect(saga.snapshot.status).toBe("completed");
    expect(replies(saga)).toEqual([
      ["create-order", "OrderCreated", true],
      ["reserve-credit", "CreditReserved", true],
      ["approve-order", "OrderApproved", false],
    ]);
    const order = await fetch(`${s.urls.order}/orders/${sagaId}`);
    expect(await order.json()).toMatchObject({ status: "APPROVED", totalCents: 1_234 });
    const account = await readAccount(s, customer);
    expect(account.reservations).toContainEqual(
      expect.objectContaining({ orderId: sagaId, amountCents: 1_234 }),
    );
  });

  it("compensates the order when the chain's pivot answers over the limit", async () => {
    const customer = await openCustomer(s, 1_000);
    const sagaId = await startOrder(customer, 5_000);
    const saga = await settled(sagaId);
    expect(saga.snapshot.status).toBe("compensated");
    expect(replies(saga).slice(0, 2)).toEqual([
      ["create-order", "OrderCreated", true],
      ["reserve-credit", "CreditLimitExceeded", false],
    ]);
    const order = await fetch(`${s.urls.order}/orders/${sagaId}`);
    expect(await order.json()).toMatchObject({ status: "REJECTED" });
  });
});

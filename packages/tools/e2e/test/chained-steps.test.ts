// Chained steps end to end: with `chainSteps` on, create-order's three commands travel as one
// chain through the real order and account services (each sends the next command itself) and
// the orchestrator gets one reply carrying all three answers; a business failure in the middle
// of the chain still compensates what ran before it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { serviceContracts } from "@sagaworks/contracts";
import { compileSagaOrThrow } from "@sagaworks/saga-definition";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import type { RunningSystem } from "@sagaworks/system";
import { openCustomer, startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import { commandQueueName } from "@sagaworks/topology";
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
  effects: { type: string; step?: string; chain?: unknown }[];
}

interface SagaView {
  snapshot: { status: string; steps: Record<string, { status: string }> };
  history: HistoryEntry[];
}

async function startOrder(
  customerId: string,
  totalCents: number,
  on: RunningSystem = s,
): Promise<string> {
  const response = await fetch(`${on.urls.orchestrator}/sagas/create-order`, {
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

async function settled(sagaId: string, on: RunningSystem = s): Promise<SagaView> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const saga = (await (
      await fetch(`${on.urls.orchestrator}/sagas/${sagaId}`, { headers: auth })
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
    // The history names the commands sent along, for the inspector and ops; not what they carry.
    const sent = saga.history.flatMap((entry) =>
      entry.effects.filter((effect) => effect.type === "send-command"),
    );
    expect(sent).toEqual([
      expect.objectContaining({
        step: "create-order",
        chain: [
          { step: "reserve-credit", command: "ReserveCredit" },
          { step: "approve-order", command: "ApproveOrder" },
        ],
      }),
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

  it("finds a chain's lost middle command by the chain's timeout, and runs it once on the retry", async () => {
    // Short timeouts, so the chain's wait (the three steps' together) passes within the test.
    const definition = JSON.parse(
      readFileSync(join(sagaDefinitionsDir, "create-order.saga.json"), "utf8"),
    ) as { steps: { name: string; timeout?: string; retry?: Record<string, unknown> }[] };
    for (const step of definition.steps) if (step.name !== "verify-customer") step.timeout = "1s";
    const create = definition.steps.find((step) => step.name === "create-order");
    if (create) create.retry = { ...create.retry, initialDelay: "100ms", jitter: "none" };
    const quick = compileSagaOrThrow(definition, { contracts: serviceContracts });
    const lossy = await startTestSystem("chain lost command", {
      awsEndpoint: inject("brokerEndpoint"),
      apiToken: TOKEN,
      definitions: [quick],
      chainSteps: true,
    });
    try {
      const customer = await openCustomer(lossy, 50_000);
      // The account service is down; the ReserveCredit the order service sends on is then lost.
      await lossy.services.account.participant.stop();
      const sagaId = await startOrder(customer, 700, lossy);
      const queueUrl = (
        await lossy.clients.sqs.send(
          new GetQueueUrlCommand({ QueueName: commandQueueName(lossy.prefix, "account") }),
        )
      ).QueueUrl as string;
      const deadline = Date.now() + 15_000;
      let lost = false;
      while (!lost) {
        if (Date.now() > deadline) throw new Error("ReserveCredit never reached the account queue");
        const { Messages } = await lossy.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }),
        );
        for (const message of Messages ?? []) {
          expect(JSON.parse(message.Body ?? "{}")).toMatchObject({ name: "ReserveCredit", sagaId });
          await lossy.clients.sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
          lost = true;
        }
      }
      lossy.services.account.participant.start();
      const saga = await settled(sagaId, lossy);
      expect(saga.snapshot.status).toBe("completed");
      // The chain's wait passed and create-order was sent again: the order service answered
      // it from its inbox and sent the same ReserveCredit on, which ran once.
      expect(saga.history.map((entry) => entry.eventType)).toContain("step-timeout");
      const account = await readAccount(lossy, customer);
      expect(account.reservations.filter((r) => r.orderId === sagaId)).toHaveLength(1);
      const order = await fetch(`${lossy.urls.order}/orders/${sagaId}`);
      expect(await order.json()).toMatchObject({ status: "APPROVED" });
    } finally {
      await stopSystemAndDropSchemas(lossy);
    }
  }, 60_000);
});

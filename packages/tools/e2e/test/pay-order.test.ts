// End to end: pay-order through the orchestrator and the real order and customer services, over
// real HTTP, the SQS/SNS endpoint and Postgres. The payment provider's webhook arrives by HTTP
// (`POST /events/:name` on the orchestrator) or through the outside-events topic: on time, twice,
// before its wait opened, after its outcome, and not at all (the deadline passes).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateTopicCommand, PublishCommand } from "@aws-sdk/client-sns";
import { serviceContracts } from "@sagaworks/contracts";
import { createAwsClients } from "@sagaworks/platform";
import { compileSagaOrThrow } from "@sagaworks/saga-definition";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import type { RunningSystem } from "@sagaworks/system";
import { openCustomer, startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import { loadSagaDefinitions, outsideEventsTopicName } from "@sagaworks/topology";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const TOKEN = "e2e-token-0123456789";
const authorised = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

const shipped: unknown = JSON.parse(
  readFileSync(join(sagaDefinitionsDir, "pay-order.saga.json"), "utf8"),
);
const payOrder = compileSagaOrThrow(shipped, { contracts: serviceContracts });
// The same saga with a deadline of seconds, so a test can watch it pass.
const quick = structuredClone(shipped) as {
  name: string;
  timeout: string;
  steps: Array<{ name: string; deadline?: { after: string } }>;
};
quick.name = "pay-order-quick";
quick.timeout = "1m";
for (const step of quick.steps) if (step.deadline) step.deadline.after = "2s";
const payOrderQuick = compileSagaOrThrow(quick, { contracts: serviceContracts });
// Every shipped saga is deployed too: the system's participants (the account service among them)
// need the queues the other sagas' commands imply.
// Loaded as one folder: a saga that starts others compiles against them.
const otherShipped = (await loadSagaDefinitions(sagaDefinitionsDir)).filter(
  (saga) => saga.name !== "pay-order",
);

let s: RunningSystem;
beforeAll(async () => {
  s = await startTestSystem("pay order", {
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: TOKEN,
    serviceToken: "e2e-service-token-0123456789",
    definitions: [...otherShipped, payOrder, payOrderQuick],
  });
}, 180_000);
afterAll(async () => {
  if (s) await stopSystemAndDropSchemas(s);
});

// biome-ignore lint/suspicious/noExplicitAny: tests read the API's JSON field by field.
type Json = Record<string, any>;

async function start(saga: string, customerId: string, paymentId: string, totalCents = 2_500) {
  const response = await fetch(`${s.urls.orchestrator}/sagas/${saga}`, {
    method: "POST",
    headers: authorised,
    body: JSON.stringify({
      input: {
        customerId,
        paymentId,
        items: [{ sku: "book", quantity: 1, unitPriceCents: totalCents }],
        totalCents,
      },
    }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { sagaId: string }).sagaId;
}

async function read(sagaId: string): Promise<Json> {
  const response = await fetch(`${s.urls.orchestrator}/sagas/${sagaId}`, { headers: authorised });
  return (await response.json()) as Json;
}

async function until(sagaId: string, what: string, test: (saga: Json) => boolean): Promise<Json> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const saga = await read(sagaId);
    if (test(saga)) return saga;
    if (Date.now() > deadline) throw new Error(`saga ${sagaId} never ${what}: ${saga.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const waiting = (sagaId: string) =>
  until(sagaId, "waited for its payment", (saga) =>
    Object.values(saga.snapshot.pending as Record<string, Json>).some(
      (work) => work.waitingFor === "event",
    ),
  );

async function send(name: string, eventId: string, payload: Json) {
  const response = await fetch(`${s.urls.orchestrator}/events/${name}`, {
    method: "POST",
    headers: authorised,
    body: JSON.stringify({ eventId, payload }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const captured = (paymentId: string, orderId: string, amountCents = 2_500) => ({
  paymentId,
  orderId,
  amountCents,
  capturedAt: new Date().toISOString(),
});

async function orderStatus(orderId: string): Promise<string> {
  const response = await fetch(`${s.urls.order}/orders/${orderId}`);
  return ((await response.json()) as { status: string }).status;
}

describe("pay-order end to end", () => {
  it("by HTTP: checks fraud above the threshold, applies the payment once, and calls a later one too late", async () => {
    const customer = await openCustomer(s, 500_000, { account: false });
    const paymentId = `pay-${crypto.randomUUID()}`;
    const sagaId = await start("pay-order", customer, paymentId, 250_000);
    await waiting(sagaId);
    const applied = await send(
      "PaymentCaptured",
      `${paymentId}:1`,
      captured(paymentId, sagaId, 250_000),
    );
    expect(applied).toEqual({
      status: 200,
      body: { status: "applied", sagaId, step: "await-payment" },
    });
    const duplicate = await send(
      "PaymentCaptured",
      `${paymentId}:1`,
      captured(paymentId, sagaId, 250_000),
    );
    expect(duplicate.body).toEqual({ status: "duplicate", sagaId });
    const done = await until(sagaId, "completed", (saga) => saga.status === "completed");
    expect(done.snapshot.steps["fraud-check"].status).toBe("succeeded");
    expect(await orderStatus(sagaId)).toBe("APPROVED");
    const late = await send("PaymentDeclined", `${paymentId}:2`, {
      paymentId,
      orderId: sagaId,
      reason: "the provider changed its mind",
    });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "EVENT_TOO_LATE", sagaId, sagaStatus: "completed" });
    expect(await orderStatus(sagaId)).toBe("APPROVED");
  });

  it("by HTTP, early: an event sent before the order exists is applied when the wait opens", async () => {
    const customer = await openCustomer(s, 500_000, { account: false });
    const paymentId = `pay-${crypto.randomUUID()}`;
    const early = await send(
      "PaymentCaptured",
      `${paymentId}:early`,
      captured(paymentId, "unknown-yet"),
    );
    expect(early.status).toBe(202);
    expect(early.body.status).toBe("kept");
    const sagaId = await start("pay-order", customer, paymentId);
    await until(sagaId, "completed", (saga) => saga.status === "completed");
    expect(await orderStatus(sagaId)).toBe("APPROVED");
  });

  it("by SNS: a declined payment rejects the order, delivered twice and applied once", async () => {
    const customer = await openCustomer(s, 500_000, { account: false });
    const paymentId = `pay-${crypto.randomUUID()}`;
    const sagaId = await start("pay-order", customer, paymentId);
    await waiting(sagaId);
    const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });
    try {
      const topic = await clients.sns.send(
        new CreateTopicCommand({ Name: outsideEventsTopicName(s.prefix) }),
      );
      const message = JSON.stringify({
        name: "PaymentDeclined",
        eventId: `${paymentId}:sns`,
        payload: { paymentId, orderId: sagaId, reason: "card declined" },
      });
      for (let copy = 0; copy < 2; copy++) {
        await clients.sns.send(new PublishCommand({ TopicArn: topic.TopicArn, Message: message }));
      }
    } finally {
      clients.destroy();
    }
    const done = await until(sagaId, "compensated", (saga) => saga.status === "compensated");
    expect(done.snapshot.failure).toMatchObject({ step: "await-payment", code: "PaymentDeclined" });
    expect(await orderStatus(sagaId)).toBe("REJECTED");
    const applied = done.history.filter(
      (entry: Json) => entry.eventType === "outside-event" && entry.applied,
    );
    expect(applied).toHaveLength(1);
  });

  it("the deadline passes with no payment: the order is rejected, and a payment after it is too late", async () => {
    const customer = await openCustomer(s, 500_000, { account: false });
    const paymentId = `pay-${crypto.randomUUID()}`;
    const sagaId = await start("pay-order-quick", customer, paymentId);
    const done = await until(sagaId, "compensated", (saga) => saga.status === "compensated");
    expect(done.snapshot.failure).toMatchObject({ code: "AWAIT_DEADLINE_PASSED" });
    expect(await orderStatus(sagaId)).toBe("REJECTED");
    const late = await send("PaymentCaptured", `${paymentId}:late`, captured(paymentId, sagaId));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "EVENT_TOO_LATE", sagaStatus: "compensated" });
  });
});

// An await step through a real orchestrator (Postgres, the SQS/SNS emulator over HTTP, the
// Fastify API): the shipped pay-order saga waits for the payment provider's event, which comes
// by HTTP or through the outside-events topic, early, twice, late, or not at all.
import { CreateTopicCommand, PublishCommand } from "@aws-sdk/client-sns";
import { GetQueueUrlCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { waitFor } from "@sagaworks/messaging/testing";
import { eventQueueName, outsideEventsTopicName } from "@sagaworks/topology";
import { describe, expect, it } from "vitest";
import {
  API_TOKEN,
  orchestratorForFile,
  shippedDefinitions,
  shopAnswers,
  waitForSaga,
} from "./harness.ts";

/** Added to the wall clock: moving it lets a wait's deadline pass without waiting two hours. */
let clockOffsetMs = 0;
const file = orchestratorForFile(
  "await event",
  async () => ({
    definitions: await shippedDefinitions(),
    clock: () => new Date(Date.now() + clockOffsetMs),
    // An audit reader of the lifecycle events, to see the late event published.
    options: { earlyEventPollIntervalMs: 50, eventSubscribers: ["audit"] },
  }),
  { participants: { order: shopAnswers().order } },
);

const auth = { authorization: `Bearer ${API_TOKEN}` };

// biome-ignore lint/suspicious/noExplicitAny: tests read the API's JSON field by field.
type Json = Record<string, any>;

async function start(paymentId: string): Promise<string> {
  const response = await file.orchestrator.api.inject({
    method: "POST",
    url: "/sagas/pay-order",
    headers: auth,
    payload: {
      input: {
        customerId: "cust-1",
        paymentId,
        items: [{ sku: "sku-1", quantity: 1, unitPriceCents: 2500 }],
        totalCents: 2500,
      },
    },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().sagaId as string;
}

async function saga(sagaId: string): Promise<Json> {
  const response = await file.orchestrator.api.inject({
    method: "GET",
    url: `/sagas/${sagaId}`,
    headers: auth,
  });
  return response.json() as Json;
}

const until = (sagaId: string, what: string, test: (saga: Json) => boolean): Promise<Json> =>
  waitForSaga(file.orchestrator, sagaId, what, test);

const waiting = (sagaId: string) =>
  until(
    sagaId,
    "to wait for its payment",
    (s) => s.snapshot.pending["await-payment"]?.waitingFor === "event",
  );

function post(name: string, eventId: string, payload: Json) {
  return file.orchestrator.api.inject({
    method: "POST",
    url: `/events/${name}`,
    headers: auth,
    payload: { eventId, payload },
  });
}

const captured = (paymentId: string, orderId: string) => ({
  paymentId,
  orderId,
  amountCents: 2500,
  capturedAt: "2026-12-07T00:00:00Z",
});

describe("an await step in the orchestrator", () => {
  it("applies the event once by HTTP: a duplicate is acknowledged, a second event is too late", async () => {
    const paymentId = `pay-${crypto.randomUUID()}`;
    const sagaId = await start(paymentId);
    await waiting(sagaId);
    const first = await post("PaymentCaptured", `${paymentId}:1`, captured(paymentId, sagaId));
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ status: "applied", sagaId, step: "await-payment" });
    const again = await post("PaymentCaptured", `${paymentId}:1`, captured(paymentId, sagaId));
    expect(again.json()).toEqual({ status: "duplicate", sagaId });
    const done = await until(sagaId, "to complete", (s) => s.status === "completed");
    expect(done.snapshot.steps["await-payment"].output).toMatchObject({ paymentId });

    const late = await post("PaymentDeclined", `${paymentId}:2`, {
      paymentId,
      orderId: sagaId,
      reason: "second thoughts",
    });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({
      code: "EVENT_TOO_LATE",
      sagaId,
      step: "await-payment",
      sagaStatus: "completed",
    });
    // Recorded in the saga's history, counted, and never applied.
    const after = await saga(sagaId);
    const events = after.history.filter((entry: Json) => entry.eventType === "outside-event");
    expect(events.map((entry: Json) => entry.applied)).toEqual([true, false]);
    const { QueueUrl } = await file.env.clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: eventQueueName(file.env.prefix, "audit") }),
    );
    await waitFor(
      async () => {
        const { Messages = [] } = await file.env.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        return Messages.some(
          (message) =>
            message.Body?.includes("saga.event.late") && message.Body.includes(`${paymentId}:2`),
        );
      },
      { description: "saga.event.late on the lifecycle events topic", timeoutMs: 15_000 },
    );
    const metrics = await file.orchestrator.api.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toMatch(
      /sagaworks_outside_events_total\{outcome="late",channel="http"[^}]*\} 1/,
    );
  });

  it("keeps an event that comes before the wait opens and applies it when it does", async () => {
    const paymentId = `pay-${crypto.randomUUID()}`;
    const early = await post(
      "PaymentCaptured",
      `${paymentId}:early`,
      captured(paymentId, "order-x"),
    );
    expect(early.statusCode, early.body).toBe(202);
    expect(early.json()).toMatchObject({ status: "kept" });
    const sagaId = await start(paymentId);
    const done = await until(sagaId, "to complete", (s) => s.status === "completed");
    expect(
      done.history.some((entry: Json) => entry.eventType === "outside-event" && entry.applied),
    ).toBe(true);
  });

  it("takes the event from the outside-events topic, once however often it is delivered", async () => {
    const paymentId = `pay-${crypto.randomUUID()}`;
    const sagaId = await start(paymentId);
    await waiting(sagaId);
    const topic = await file.env.clients.sns.send(
      new CreateTopicCommand({ Name: outsideEventsTopicName(file.env.prefix) }),
    );
    const message = JSON.stringify({
      name: "PaymentCaptured",
      eventId: `${paymentId}:sns`,
      payload: captured(paymentId, sagaId),
    });
    for (let copy = 0; copy < 2; copy++) {
      await file.env.clients.sns.send(
        new PublishCommand({ TopicArn: topic.TopicArn, Message: message }),
      );
    }
    await until(sagaId, "to complete", (s) => s.status === "completed");
    await waitFor(
      async () => {
        const metrics = await file.orchestrator.api.inject({ method: "GET", url: "/metrics" });
        return /outcome="duplicate",channel="sns"[^}]*\} 1/.test(metrics.body);
      },
      { description: "the second delivery to be counted a duplicate" },
    );
    const after = await saga(sagaId);
    const applied = after.history.filter((e: Json) => e.eventType === "outside-event" && e.applied);
    expect(applied).toHaveLength(1);
  });

  it("compensates when the deadline passes, and calls a later event too late", async () => {
    const paymentId = `pay-${crypto.randomUUID()}`;
    const sagaId = await start(paymentId);
    await waiting(sagaId);
    clockOffsetMs = 2 * 3_600_000 + 60_000;
    try {
      const done = await until(sagaId, "to be compensated", (s) => s.status === "compensated");
      expect(done.snapshot.failure).toMatchObject({
        step: "await-payment",
        code: "AWAIT_DEADLINE_PASSED",
      });
    } finally {
      clockOffsetMs = 0;
    }
    const late = await post("PaymentCaptured", `${paymentId}:late`, captured(paymentId, sagaId));
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ code: "EVENT_TOO_LATE", sagaStatus: "compensated" });
  });

  it("refuses a second saga waiting on a key another one waits on", async () => {
    const paymentId = `pay-${crypto.randomUUID()}`;
    const first = await start(paymentId);
    await waiting(first);
    const second = await start(paymentId);
    const refused = await until(second, "to be compensated", (s) => s.status === "compensated");
    expect(refused.snapshot.failure).toMatchObject({
      step: "await-payment",
      code: "AWAIT_KEY_TAKEN",
    });
    expect((await saga(first)).snapshot.pending["await-payment"]?.waitingFor).toBe("event");
  });

  it("lets an operator complete a wait by hand, with the payload later steps read", async () => {
    const paymentId = `pay-${crypto.randomUUID()}`;
    const sagaId = await start(paymentId);
    await waiting(sagaId);
    const response = await file.orchestrator.api.inject({
      method: "POST",
      url: `/sagas/${sagaId}/complete-wait`,
      headers: auth,
      payload: {
        actor: "ops@example.com",
        reason: "provider's dashboard shows it captured; the webhook was lost",
        expected: { step: "await-payment", attempt: 1, compensation: false },
        event: "PaymentCaptured",
        payload: captured(paymentId, sagaId),
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    await until(sagaId, "to complete", (s) => s.status === "completed");
  });

  it("answers clearly for an unknown event and an invalid payload", async () => {
    const unknown = await post("PaymentRefunded", "x-1", { paymentId: "p" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: "EVENT_UNKNOWN" });
    const invalid = await post("PaymentCaptured", "x-2", { paymentId: "p" });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().code).toBe("EVENT_PAYLOAD_INVALID");
    expect(invalid.json().message).toMatch(/payload\.orderId/);
    const anonymous = await file.orchestrator.api.inject({
      method: "POST",
      url: "/events/PaymentCaptured",
      payload: { eventId: "x-3", payload: {} },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

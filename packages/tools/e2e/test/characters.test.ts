// Strings AWS carries, carried on the embedded default too: characters outside the Basic
// Multilingual Plane (an emoji, a musical symbol) through every hop of a saga, HTTP start →
// command → participant → reply → lifecycle event.
import { CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { decodeEnvelope, type EventEnvelope } from "@sagaworks/messaging";
import { waitFor } from "@sagaworks/messaging/testing";
import type { RunningSystem } from "@sagaworks/system";
import { startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import { eventsTopicName } from "@sagaworks/topology";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const TOKEN = "characters-token-0123456789";
const EMOJI = "😀";
const CLEF = "𝄞";

let s: RunningSystem;
let eventsQueueUrl: string;

beforeAll(async () => {
  s = await startTestSystem("characters outside the BMP", {
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: TOKEN,
  });
  // A reader of the lifecycle events, as SAGAWORKS_EVENT_SUBSCRIBERS would subscribe one.
  const queue = await s.clients.sqs.send(
    new CreateQueueCommand({ QueueName: `${s.prefix}-characters-events` }),
  );
  eventsQueueUrl = queue.QueueUrl ?? "";
  const arn = await s.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: eventsQueueUrl, AttributeNames: ["QueueArn"] }),
  );
  const topics = await s.clients.sns.send(
    new CreateTopicCommand({ Name: eventsTopicName(s.prefix) }),
  );
  await s.clients.sns.send(
    new SubscribeCommand({
      TopicArn: topics.TopicArn,
      Protocol: "sqs",
      Endpoint: arn.Attributes?.QueueArn,
      Attributes: { RawMessageDelivery: "true" },
    }),
  );
}, 180_000);

afterAll(async () => {
  if (s) await stopSystemAndDropSchemas(s);
});

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${s.urls.orchestrator}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.ok, text).toBe(true);
  return JSON.parse(text) as T;
}

interface SagaView {
  snapshot: { status: string; failure: { code: string; message: string } | null };
  history: { eventType: string; event: { payload?: unknown } }[];
}

async function settled(sagaId: string): Promise<SagaView> {
  return waitFor(
    async () => {
      const saga = await api<SagaView>("GET", `/sagas/${sagaId}`);
      return ["running", "compensating"].includes(saga.snapshot.status) ? undefined : saga;
    },
    { timeoutMs: 30_000, intervalMs: 50, description: `saga ${sagaId} to settle` },
  );
}

describe("characters outside the Basic Multilingual Plane", () => {
  it("reach the participant in a command, which stores them, and the saga completes", async () => {
    const sku = `book ${EMOJI}${CLEF}`;
    const { sagaId } = await api<{ sagaId: string }>("POST", "/sagas/create-order", {
      input: {
        customerId: "cust-ada",
        items: [{ sku, quantity: 1, unitPriceCents: 1_000 }],
        totalCents: 1_000,
      },
    });
    expect((await settled(sagaId)).snapshot.status).toBe("completed");
    const order = (await (await fetch(`${s.urls.order}/orders/${sagaId}`)).json()) as {
      items: { sku: string }[];
    };
    expect(order.items[0]?.sku).toBe(sku);
  });

  it("travel HTTP start → command → participant → reply → lifecycle event", async () => {
    const orderId = `ord-${EMOJI}-${crypto.randomUUID()}`;
    const reason = `changed my mind ${CLEF}`;
    const { sagaId } = await api<{ sagaId: string }>("POST", "/sagas/cancel-order", {
      input: { orderId, reason },
    });
    // The order service answers the command with ORDER_NOT_FOUND, quoting the order id.
    const saga = await settled(sagaId);
    expect(saga.snapshot.status).toBe("failed");
    expect(saga.snapshot.failure?.code).toBe("ORDER_NOT_FOUND");
    expect(saga.snapshot.failure?.message).toContain(orderId);

    const event = await lifecycleEvent(sagaId, "saga.failed");
    expect(event.payload).toMatchObject({ failure: { message: expect.stringContaining(orderId) } });
  });
});

/** Reads the subscribed events queue until this saga's event of this name has arrived. */
async function lifecycleEvent(sagaId: string, name: string): Promise<EventEnvelope> {
  return waitFor(
    async () => {
      const response = await s.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: eventsQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      return (response.Messages ?? [])
        .map((message) => decodeEnvelope(message.Body))
        .find((event): event is EventEnvelope => event.sagaId === sagaId && event.name === name);
    },
    { timeoutMs: 30_000, description: `${name} of saga ${sagaId}` },
  );
}

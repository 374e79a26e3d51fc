import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createLogger, silentLogger } from "@sagaworks/platform";
import { commandQueueName, deadLetterQueueName } from "@sagaworks/topology";
import { afterEach, describe, expect, it } from "vitest";
import {
  ack,
  createCommandEnvelope,
  DeadLetterAttribute,
  type Envelope,
  envelopeMessage,
  MessagingErrors,
  poison,
  type ReceivedMessage,
  retryLater,
  SqsConsumer,
  sendToQueue,
} from "../src/index.ts";
import { MessageSpy, receiveMessages, waitFor } from "../src/testing/index.ts";
import { brokerClients, testTopology } from "./broker.ts";

const clients = brokerClients();
const consumers: SqsConsumer<unknown>[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
  clients.counter.reset();
});

function command(step: string, payload: Record<string, unknown> = {}): Envelope {
  return createCommandEnvelope({
    name: "order.create-pending",
    sagaId: randomUUID(),
    sagaName: "create-order",
    sagaVersion: 1,
    step,
    attempt: 1,
    compensation: false,
    idempotencyKey: `${step}-${randomUUID()}`,
    replyTo: "saga-replies",
    payload,
  });
}

function consume<Body = Envelope>(options: ConstructorParameters<typeof SqsConsumer<Body>>[0]) {
  const consumer = new SqsConsumer<Body>({ waitTimeSeconds: 1, ...options });
  consumers.push(consumer as SqsConsumer<unknown>);
  consumer.start();
  return consumer;
}

/** Sends the envelopes to `url`, batched by the producer; its report. */
const sendEnvelopes = (url: string, envelopes: readonly Envelope[]) =>
  sendToQueue(
    clients.sqs,
    url,
    envelopes.map((e) => envelopeMessage(e)),
  );

type ConsumerOptions = ConstructorParameters<typeof SqsConsumer<Envelope>>[0];

/**
 * Consumes `url` with `handler` (default: ack every message), recording each message in a spy;
 * `options` adds to the consumer's.
 */
function spyConsumer(
  url: string,
  options: Partial<Omit<ConsumerOptions, "handler">> = {},
  handler: ConsumerOptions["handler"] = async () => ack(),
) {
  const spy = new MessageSpy<ReceivedMessage<Envelope>>();
  const consumer = consume({
    sqs: clients.sqs,
    queueUrl: url,
    logger: silentLogger(),
    ...options,
    handler: spy.wrap(handler),
  });
  return { spy, consumer };
}

async function queue(testName: string, maxReceiveCount = 5) {
  const { topology, url } = await testTopology(clients, testName, {
    participants: ["order"],
    maxReceiveCount,
  });
  const name = commandQueueName(topology.prefix, "order");
  return { url: url(name), dlqUrl: url(deadLetterQueueName(name)) };
}

describe("producer", () => {
  it("splits a batch by count: 25 messages go in 3 SendMessageBatch calls", async () => {
    const { url } = await queue("split by count");
    clients.counter.reset();
    const envelopes = Array.from({ length: 25 }, (_, i) => command(`step-${i}`));
    const report = await sendEnvelopes(url, envelopes);
    expect(report.failed).toEqual([]);
    expect(report.sent).toHaveLength(25);
    expect(clients.counter.snapshot()["SQS.SendMessageBatch"]).toBe(3);

    const { spy } = spyConsumer(url);
    const received = await spy.waitForCount(25);
    expect(new Set(received.map((m) => m.body.messageId))).toEqual(
      new Set(envelopes.map((e) => e.messageId)),
    );
  });

  it("splits a batch by bytes: five 300 KB messages need two calls under the 1 MiB batch limit", async () => {
    const { url } = await queue("split by bytes");
    clients.counter.reset();
    const big = "x".repeat(300 * 1024);
    const envelopes = Array.from({ length: 5 }, (_, i) => command(`big-${i}`, { blob: big }));
    const report = await sendEnvelopes(url, envelopes);
    expect(report.failed).toEqual([]);
    expect(report.calls).toBe(2);
    expect(clients.counter.snapshot()["SQS.SendMessageBatch"]).toBe(2);

    const { spy } = spyConsumer(url);
    const received = await spy.waitForCount(5);
    for (const message of received) expect(message.body.payload.blob).toBe(big);
  });

  it("rejects a message over 1 MiB before sending anything, naming the message and the limit", async () => {
    const { url } = await queue("oversize");
    clients.counter.reset();
    const small = envelopeMessage(command("small"));
    const huge = envelopeMessage(command("huge", { blob: "y".repeat(1024 * 1024) }));
    const attempt = sendToQueue(clients.sqs, url, [small, huge]);
    await expect(attempt).rejects.toSatisfy(MessagingErrors.is);
    await expect(attempt).rejects.toMatchObject({
      code: "MESSAGE_TOO_LARGE",
      details: { index: 1, limitBytes: 1_048_576 },
    });
    await expect(attempt).rejects.toThrow(
      /Message 1 to .* is \d+ bytes; the limit is 1048576 bytes/,
    );
    expect(clients.counter.snapshot()["SQS.SendMessageBatch"]).toBeUndefined();
  });
});

describe("consumer", () => {
  it("handles messages concurrently and extends the visibility of a slow handler", async () => {
    const { url } = await queue("concurrency");
    const envelopes = Array.from({ length: 4 }, (_, i) => command(`slow-${i}`));
    await sendEnvelopes(url, envelopes);

    let active = 0;
    let maxActive = 0;
    const spy = new MessageSpy<ReceivedMessage<Envelope>>();
    const consumer = consume({
      sqs: clients.sqs,
      queueUrl: url,
      logger: silentLogger(),
      concurrency: 4,
      visibilityTimeoutSeconds: 2,
      handler: spy.wrap(async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        // Longer than the 2 s visibility timeout: without extension SQS would redeliver.
        await waitFor(() => maxActive === 4 && consumer.stats.visibilityExtensions >= 4, {
          timeoutMs: 15_000,
          description: "all four handlers in flight and their visibility extended",
        });
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        active--;
        return ack();
      }),
    });
    await waitFor(() => consumer.stats.acked === 4, { timeoutMs: 30_000 });
    expect(maxActive).toBe(4);
    expect(consumer.stats.visibilityExtensions).toBeGreaterThanOrEqual(4);
    // Deleted, never redelivered: each message was seen once, on its first delivery.
    expect(spy.items).toHaveLength(4);
    expect(spy.items.every((m) => m.receiveCount === 1)).toBe(true);
    const left = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 3, VisibilityTimeout: 0 }),
    );
    expect(left.Messages ?? []).toEqual([]);
  });

  it("redelivers a message whose handler answered retry-later, and logs it with the message's fields", async () => {
    const { url } = await queue("retry later");
    const envelope = command("retry");
    await sendToQueue(clients.sqs, url, [envelopeMessage(envelope)]);
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const { spy, consumer } = spyConsumer(
      url,
      { logger: createLogger({ name: "consumer", destination }) },
      async (message) =>
        message.receiveCount === 1 ? retryLater(1, "the account service is down") : ack(),
    );
    const deliveries = await spy.waitForCount(2);
    expect(deliveries.map((m) => m.receiveCount)).toEqual([1, 2]);
    expect(deliveries.every((m) => m.body.messageId === envelope.messageId)).toBe(true);
    await waitFor(() => consumer.stats.acked === 1);
    expect(consumer.stats.retried).toBe(1);
    // The line of the retry names the queue, the delivery and the saga; the ack logs nothing.
    expect(lines.some((line) => line.receiveCount === 2)).toBe(false);
    expect(lines.filter((line) => line.msg === "retry later")).toEqual([
      expect.objectContaining({
        msg: "retry later",
        queueUrl: url,
        sqsMessageId: deliveries[0]?.sqsMessageId,
        receiveCount: 1,
        sagaId: envelope.sagaId,
      }),
    ]);
  });

  it("moves a poison message to the DLQ after maxReceiveCount, and keeps consuming", async () => {
    const { url, dlqUrl } = await queue("poison", 2);
    await sendToQueue(clients.sqs, url, [{ body: '{"not":"an envelope"' }]);
    const { spy, consumer } = spyConsumer(url, { maxReceiveCount: 2 });
    const [dead] = await receiveMessages(clients.sqs, dlqUrl, 1, { timeoutMs: 20_000 });
    expect(dead?.Body).toBe('{"not":"an envelope"');
    expect(consumer.stats.poisoned).toBe(2);

    // The worker survived the bad message and still handles good ones.
    const good = command("after-poison");
    await sendToQueue(clients.sqs, url, [envelopeMessage(good)]);
    await spy.waitForItem((m) => m.body.messageId === good.messageId);
    expect(spy.items).toHaveLength(1);
  });

  it("poisons a message a handler declares poison, with its reason", async () => {
    const { url, dlqUrl } = await queue("handler poison", 1);
    const envelope = command("unknown-command");
    await sendToQueue(clients.sqs, url, [envelopeMessage(envelope)]);
    const consumer = consume({
      sqs: clients.sqs,
      queueUrl: url,
      logger: silentLogger(),
      handler: async () => poison("no handler for order.create-pending"),
    });
    const [dead] = await receiveMessages(clients.sqs, dlqUrl, 1, { timeoutMs: 20_000 });
    expect(JSON.parse(dead?.Body ?? "{}").messageId).toBe(envelope.messageId);
    expect(consumer.stats.poisoned).toBe(1);
  });

  it("records why a message was dead-lettered as attributes, for poison and for a handler that threw", async () => {
    const { url, dlqUrl } = await queue("dlq reason", 2);
    const thrown = command("throws");
    await sendToQueue(clients.sqs, url, [{ body: "not json" }, envelopeMessage(thrown)]);
    const consumer = consume({
      sqs: clients.sqs,
      queueUrl: url,
      logger: silentLogger(),
      errorRetryDelaySeconds: () => 0,
      handler: async () => {
        throw new Error("account database unreachable");
      },
    });
    const dead = await receiveMessages(clients.sqs, dlqUrl, 2, { timeoutMs: 20_000 });
    const byBody = new Map(dead.map((m) => [m.Body, m]));
    const poisoned = byBody.get("not json");
    expect(poisoned?.MessageAttributes?.[DeadLetterAttribute.reason]?.StringValue).toMatch(
      /ENVELOPE_INVALID|not JSON/i,
    );
    const failed = dead.find((m) => m.Body !== "not json");
    expect(JSON.parse(failed?.Body ?? "{}").messageId).toBe(thrown.messageId);
    expect(failed?.MessageAttributes?.[DeadLetterAttribute.reason]?.StringValue).toBe(
      "handler threw: account database unreachable",
    );
    // Routing attributes travel with it; the source queue is named.
    expect(failed?.MessageAttributes?.kind?.StringValue).toBe("command");
    expect(failed?.MessageAttributes?.[DeadLetterAttribute.source]?.StringValue).toBe(
      url.split("/").pop(),
    );
    expect(consumer.stats.received).toBe(4);
  });

  it("shows a duplicate delivery with the same envelope message id and another SQS id", async () => {
    const { url } = await queue("duplicate");
    const envelope = command("dup");
    // A producer that crashed after sending but before recording it sends the same envelope again.
    await sendToQueue(clients.sqs, url, [envelopeMessage(envelope)]);
    await sendToQueue(clients.sqs, url, [envelopeMessage(envelope)]);
    const { spy } = spyConsumer(url);
    const [first, second] = await spy.waitForCount(2);
    expect(first?.body.messageId).toBe(envelope.messageId);
    expect(second?.body.messageId).toBe(envelope.messageId);
    expect(first?.sqsMessageId).not.toBe(second?.sqsMessageId);
  });

  it("keeps going when a handler throws, and redelivers the message", async () => {
    const { url } = await queue("handler throws");
    await sendToQueue(clients.sqs, url, [envelopeMessage(command("throws"))]);
    const { spy, consumer } = spyConsumer(
      url,
      { errorRetryDelaySeconds: () => 0 },
      async (message) => {
        if (message.receiveCount === 1) throw new Error("database connection reset");
        return ack();
      },
    );
    await waitFor(() => consumer.stats.acked === 1);
    expect(consumer.stats.failed).toBe(1);
    expect(spy.items).toHaveLength(2);
  });
});

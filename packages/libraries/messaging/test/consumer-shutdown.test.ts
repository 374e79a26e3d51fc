// Fast SIGTERM: stopping a consumer aborts its long poll instead of waiting it out (up to 20 s,
// which made the order service take 10 s to stop), and leaves the queue's messages for the next
// consumer.
import { randomUUID } from "node:crypto";
import { ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { longPollClient, silentLogger } from "@sagaworks/platform";
import { commandQueueName } from "@sagaworks/topology";
import { describe, expect, it } from "vitest";
import {
  ack,
  createCommandEnvelope,
  envelopeMessage,
  SqsConsumer,
  sendToQueue,
} from "../src/index.ts";
import { receiveMessages, waitFor } from "../src/testing/index.ts";
import { brokerClients, testTopology } from "./broker.ts";

/**
 * Records every ReceiveMessage `sqs` is asked for and how the call ended ("answered", or the
 * error's name), as its caller sees it: whichever path the client sends it on.
 */
function recordReceives(sqs: SQSClient): { outcome: string }[] {
  const receives: { outcome: string }[] = [];
  const send = sqs.send.bind(sqs) as (...args: unknown[]) => Promise<unknown>;
  (sqs as { send: unknown }).send = async (...args: unknown[]) => {
    if (!(args[0] instanceof ReceiveMessageCommand)) return send(...args);
    const entry = { outcome: "pending" };
    receives.push(entry);
    try {
      const result = await send(...args);
      entry.outcome = "answered";
      return result;
    } catch (error) {
      entry.outcome = (error as Error).name;
      throw error;
    }
  };
  return receives;
}

const clients = brokerClients();
/** The consumer's own client, so only its receives are recorded. */
const consumerClients = brokerClients();

describe("stopping a consumer", () => {
  it("aborts the 20 s long poll under way, and a message sent afterwards stays for the next consumer", async () => {
    const { topology, url } = await testTopology(clients, "consumer abort", {
      participants: ["order"],
    });
    const queueUrl = url(commandQueueName(topology.prefix, "order"));
    // Every ReceiveMessage this client sends, and how it ended. The polls go through the
    // client's long-poll sibling (see longPollClient).
    const receives = recordReceives(longPollClient(consumerClients.sqs));
    const handled: string[] = [];
    const consumer = new SqsConsumer({
      sqs: consumerClients.sqs,
      queueUrl,
      logger: silentLogger(),
      waitTimeSeconds: 20,
      handler: async (message) => {
        handled.push(message.sqsMessageId);
        return ack();
      },
    });
    consumer.start();
    await waitFor(() => receives.length === 1 || undefined, { description: "a long poll" });

    await consumer.stop();
    // The poll was cut short by the abort, not answered at the end of its 20 s.
    expect(receives.map((r) => r.outcome)).toEqual(["AbortError"]);
    expect(handled).toEqual([]);

    const envelope = createCommandEnvelope({
      name: "order.create-pending",
      sagaId: randomUUID(),
      sagaName: "create-order",
      sagaVersion: 1,
      step: "create-order",
      attempt: 1,
      compensation: false,
      idempotencyKey: randomUUID(),
      replyTo: "saga-replies",
      payload: {},
    });
    await sendToQueue(clients.sqs, queueUrl, [envelopeMessage(envelope)]);
    const left = await receiveMessages(clients.sqs, queueUrl, 1);
    expect(left.map((m) => JSON.parse(m.Body ?? "{}").messageId)).toEqual([envelope.messageId]);
  });

  it("waits out a poll that ends within 2 s anyway, so the broker cannot strand a message on an abandoned poll", async () => {
    const { topology, url } = await testTopology(clients, "consumer short poll", {
      participants: ["order"],
    });
    const shortClients = brokerClients();
    const receives = recordReceives(longPollClient(shortClients.sqs));
    const consumer = new SqsConsumer({
      sqs: shortClients.sqs,
      queueUrl: url(commandQueueName(topology.prefix, "order")),
      logger: silentLogger(),
      waitTimeSeconds: 1,
      handler: async () => ack(),
    });
    consumer.start();
    await waitFor(() => receives.length >= 1 || undefined, { description: "a short poll" });
    await consumer.stop();
    const outcomes = receives.map((r) => r.outcome);
    expect(outcomes.at(-1)).toBe("answered");
    expect(outcomes).not.toContain("AbortError");
    shortClients.destroy();
  });
});

import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { silentLogger } from "@sagaworks/platform";
import { commandQueueName } from "@sagaworks/topology";
import { afterEach, describe, expect, it } from "vitest";
import { ack, SqsConsumer } from "../src/index.ts";
import { waitFor } from "../src/testing/index.ts";
import { brokerClients, testTopology } from "./broker.ts";

const clients = brokerClients();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function queue(testName: string): Promise<string> {
  const { topology, url } = await testTopology(clients, testName, { participants: ["sink"] });
  return url(commandQueueName(topology.prefix, "sink"));
}

/** A consumer whose handler holds message "a" until released, and logs what it does. */
function heldConsumer(queueUrl: string, receiveLingerMs: number) {
  const log: string[] = [];
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const consumer = new SqsConsumer<string | undefined>({
    sqs: clients.sqs,
    queueUrl,
    logger: silentLogger(),
    waitTimeSeconds: 1,
    receiveLingerMs,
    decode: (body) => body,
    handler: async ({ body }) => {
      log.push(`${body}-start`);
      if (body === "a") await released;
      log.push(`${body}-end`);
      return ack();
    },
  });
  consumer.start();
  cleanups.push(async () => {
    release();
    await consumer.stop();
  });
  return { log, release, consumer };
}

const send = (queueUrl: string, body: string) =>
  clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));

async function visibleMessages(queueUrl: string): Promise<number> {
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? "0");
}

/** A consumer on a new queue busy with "a" (held until `release()`), and "b" sent meanwhile. */
async function bSentWhileAIsHeld(name: string, receiveLingerMs: number) {
  const url = await queue(name);
  const held = heldConsumer(url, receiveLingerMs);
  await send(url, "a");
  await waitFor(() => held.log.includes("a-start"), { description: "a to be handled" });
  await send(url, "b");
  return { url, ...held };
}

describe("the consumer's linger before a receive", () => {
  it("leaves new messages in the queue while a handler is under way, and takes them when it ends", async () => {
    const { url, log, release } = await bSentWhileAIsHeld("receive linger", 60_000);
    // No receive is under way while "a" is handled: "b" stays in the queue.
    await waitFor(async () => (await visibleMessages(url)) === 1, {
      description: "b to wait in the queue",
    });
    release();
    await waitFor(() => log.includes("b-end"), { description: "b to be handled" });
    expect(log).toEqual(["a-start", "a-end", "b-start", "b-end"]);
  });

  it("waits no longer than receiveLingerMs for a handler that does not end", async () => {
    const { log, release } = await bSentWhileAIsHeld("receive linger cap", 20);
    await waitFor(() => log.includes("b-end"), { description: "b to be handled while a is held" });
    expect(log).toEqual(["a-start", "b-start", "b-end"]);
    release();
  });

  it("with the linger off, receives again at once while a handler is under way", async () => {
    const { log, release } = await bSentWhileAIsHeld("receive linger off", 0);
    await waitFor(() => log.includes("b-end"), { description: "b to be handled while a is held" });
    expect(log).toEqual(["a-start", "b-start", "b-end"]);
    release();
  });
});

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

describe("the consumer's linger before a receive", () => {
  it("leaves new messages in the queue while a handler is under way, and takes them when it ends", async () => {
    const url = await queue("receive linger");
    const { log, release } = heldConsumer(url, 60_000);
    await send(url, "a");
    await waitFor(() => log.includes("a-start"), { description: "a to be handled" });
    await send(url, "b");
    // No receive is under way while "a" is handled: "b" stays in the queue.
    await waitFor(async () => (await visibleMessages(url)) === 1, {
      description: "b to wait in the queue",
    });
    release();
    await waitFor(() => log.includes("b-end"), { description: "b to be handled" });
    expect(log).toEqual(["a-start", "a-end", "b-start", "b-end"]);
  });

  it("waits no longer than receiveLingerMs for a handler that does not end", async () => {
    const url = await queue("receive linger cap");
    const { log, release } = heldConsumer(url, 20);
    await send(url, "a");
    await waitFor(() => log.includes("a-start"), { description: "a to be handled" });
    await send(url, "b");
    await waitFor(() => log.includes("b-end"), { description: "b to be handled while a is held" });
    expect(log).toEqual(["a-start", "b-start", "b-end"]);
    release();
  });

  it("with the linger off, receives again at once while a handler is under way", async () => {
    const url = await queue("receive linger off");
    const { log, release } = heldConsumer(url, 0);
    await send(url, "a");
    await waitFor(() => log.includes("a-start"), { description: "a to be handled" });
    await send(url, "b");
    await waitFor(() => log.includes("b-end"), { description: "b to be handled while a is held" });
    expect(log).toEqual(["a-start", "b-start", "b-end"]);
    release();
  });
});

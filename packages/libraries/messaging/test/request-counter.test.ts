import { ListQueuesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createAwsClients, longPollClient } from "@sagaworks/platform";
import { commandQueueName } from "@sagaworks/topology";
import { afterAll, describe, expect, inject, it } from "vitest";
import { RequestCounter } from "../src/index.ts";
import { testTopology } from "./broker.ts";

const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });
afterAll(() => clients.destroy());

describe("RequestCounter", () => {
  it("counts a client's requests from when it is attached, even after the client resolved its middleware", async () => {
    // The client caches its resolved middleware per command class from its first send.
    await clients.sqs.send(new ListQueuesCommand({}));
    const counter = new RequestCounter();
    counter.attach(clients.sqs, "SQS");
    counter.attach(clients.sqs, "SQS");
    await clients.sqs.send(new ListQueuesCommand({}));
    expect(counter.snapshot()).toEqual({ "SQS.ListQueues": 1 });
  });

  it("counts the long polls, which go through a client of their own", async () => {
    const { topology, url } = await testTopology(clients, "request counter polls", {
      participants: ["sink"],
    });
    const receiver = longPollClient(clients.sqs);
    expect(receiver).not.toBe(clients.sqs);
    expect(longPollClient(receiver)).toBe(receiver);
    const counter = new RequestCounter();
    counter.attach(clients.sqs, "SQS");
    await receiver.send(
      new ReceiveMessageCommand({
        QueueUrl: url(commandQueueName(topology.prefix, "sink")),
        WaitTimeSeconds: 0,
      }),
      { abortSignal: new AbortController().signal },
    );
    expect(counter.snapshot()).toEqual({ "SQS.ReceiveMessage": 1 });
  });
});

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from "@aws-sdk/client-sqs";
import { createAwsClients, createMetricsRegistry, longPollClient } from "@sagaworks/platform";
import { commandQueueName } from "@sagaworks/topology";
import { afterAll, describe, expect, inject, it } from "vitest";
import { RequestCounter } from "../src/index.ts";
import { forwardRequest } from "../src/testing/index.ts";
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

  it("exports the calls the direct path handed to the SDK, and each of their two requests", async () => {
    // Before the emulator, a proxy that answers the first request 503 as an SQS in trouble would.
    const broker = new URL(inject("brokerEndpoint"));
    let refuse = 1;
    const proxy = createServer((request, response) => {
      if (refuse > 0) {
        refuse--;
        request.resume();
        response.writeHead(503, { "content-type": "application/x-amz-json-1.0" });
        response.end(JSON.stringify({ __type: "ServiceUnavailable", message: "try again" }));
        return;
      }
      forwardRequest(request, response, broker);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxied = createAwsClients({
      endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    });
    try {
      const { topology, url } = await testTopology(clients, "request counter fallbacks", {
        participants: ["sink"],
      });
      const metrics = createMetricsRegistry({ process: "request-counter-test" });
      const counter = new RequestCounter({ metrics });
      counter.attach(proxied.sqs, "SQS");
      for (let i = 0; i < 2; i++) {
        const sent = await proxied.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url(commandQueueName(topology.prefix, "sink")),
            Entries: [{ Id: "0", MessageBody: `message ${i}` }],
          }),
        );
        expect(sent.Successful).toHaveLength(1);
      }
      const exported = await metrics.getMetricsAsJSON();
      const value = (name: string) =>
        exported
          .find((metric) => metric.name === name)
          ?.values.find((sample) => sample.labels.api === "SQS.SendMessageBatch")?.value;
      // The first call: its direct attempt (503) and the SDK's; the second: one direct attempt.
      expect(value("sagaworks_aws_requests_total")).toBe(3);
      expect(value("sagaworks_aws_direct_fallbacks_total")).toBe(1);
    } finally {
      proxied.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});

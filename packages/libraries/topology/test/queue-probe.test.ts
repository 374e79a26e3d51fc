import { createAwsClients, silentLogger } from "@sagaworks/platform";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { describe, expect, inject, it } from "vitest";
import { applyTopology, deriveTopology, QueueProbe, replyQueueName } from "../src/index.ts";

const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });

describe("QueueProbe (what /ready reads)", () => {
  it("is reachable when every queue answers, and not when one is missing or the broker is down", async () => {
    const topology = deriveTopology({
      prefix: uniqueTestName("probe", 28),
      participants: ["order"],
    });
    await applyTopology(clients, topology);
    const present = new QueueProbe({
      sqs: clients.sqs,
      queues: [replyQueueName(topology.prefix)],
      logger: silentLogger(),
    });
    await present.start();
    expect(present.reachable).toBe(true);
    expect(present.lost).toBeUndefined();
    await present.stop();

    const missing = new QueueProbe({
      sqs: clients.sqs,
      queues: [replyQueueName(topology.prefix), `${topology.prefix}-nobody-commands`],
      logger: silentLogger(),
    });
    await missing.start();
    expect(missing.reachable).toBe(false);
    expect(missing.lost).toMatchObject({
      dependency: "broker",
      reason: "queue or topic does not exist",
    });
    await missing.stop();

    const down = createAwsClients({ endpoint: "http://127.0.0.1:9" });
    const unreachable = new QueueProbe({
      sqs: down.sqs,
      queues: [replyQueueName(topology.prefix)],
      logger: silentLogger(),
    });
    await unreachable.start();
    expect(unreachable.reachable).toBe(false);
    expect(unreachable.lost).toMatchObject({ dependency: "broker", reason: "connection refused" });
    await unreachable.stop();
    down.destroy();
  });
});

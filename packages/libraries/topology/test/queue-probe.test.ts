import { CreateQueueCommand, DeleteQueueCommand } from "@aws-sdk/client-sqs";
import { createAwsClients, silentLogger } from "@sagaworks/platform";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { describe, expect, inject, it, vi } from "vitest";
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

  it("looks a queue's URL up once, and again after a check failed", async () => {
    const probeClients = createAwsClients({ endpoint: inject("brokerEndpoint") });
    const calls: string[] = [];
    probeClients.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize", name: "probeCallLog" },
    );
    const name = `${uniqueTestName("probe-url", 28)}-q`;
    await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    const probe = new QueueProbe({
      sqs: probeClients.sqs,
      queues: [name],
      logger: silentLogger(),
      intervalMs: 10,
    });
    await probe.start();
    const count = (command: string) => calls.filter((c) => c === command).length;
    await vi.waitFor(() => expect(count("GetQueueAttributesCommand")).toBeGreaterThanOrEqual(3));
    expect(count("GetQueueUrlCommand")).toBe(1);

    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    await clients.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    await vi.waitFor(() => expect(probe.reachable).toBe(false));
    await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    await vi.waitFor(() => expect(probe.reachable).toBe(true));
    expect(count("GetQueueUrlCommand")).toBeGreaterThanOrEqual(2);
    await probe.stop();
    probeClients.destroy();
  });
});

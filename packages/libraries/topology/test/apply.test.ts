import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { createAwsClients } from "@sagaworks/platform";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { describe, expect, inject, it } from "vitest";
import { applyTopology, deriveTopology } from "../src/index.ts";

const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });

describe("applyTopology", () => {
  it("creates everything once; a second run changes nothing", async () => {
    const topology = deriveTopology({
      prefix: uniqueTestName("apply twice", 28),
      participants: ["order", "account"],
      maxReceiveCount: 3,
      eventSubscribers: [{ name: "audit" }],
    });
    const first = await applyTopology(clients, topology);
    expect(first.changed).toBe(true);
    expect(first.queues.map((q) => q.action)).toEqual(topology.queues.map(() => "created"));
    expect(first.topics.map((t) => t.action)).toEqual(["created", "created"]);
    expect(first.subscriptions.map((s) => s.action)).toEqual(["created", "created"]);

    const second = await applyTopology(clients, topology);
    expect(second.changed).toBe(false);
    expect(
      [...second.queues, ...second.topics, ...second.subscriptions].map((r) => r.action),
    ).toEqual([...first.queues, ...first.topics, ...first.subscriptions].map(() => "unchanged"));
    expect(second.queueUrls).toEqual(first.queueUrls);

    const orderQueue = `${topology.prefix}-order-commands`;
    const attributes = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: first.queueUrls[orderQueue],
        AttributeNames: ["All"],
      }),
    );
    expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? "{}")).toMatchObject({
      deadLetterTargetArn: first.queueArns[`${orderQueue}-dlq`],
      maxReceiveCount: expect.anything(),
    });
    expect(String(JSON.parse(attributes.Attributes?.RedrivePolicy ?? "{}").maxReceiveCount)).toBe(
      "3",
    );
  });

  it("corrects drift: a changed maxReceiveCount is updated in place", async () => {
    const prefix = uniqueTestName("drift", 28);
    await applyTopology(
      clients,
      deriveTopology({ prefix, participants: ["order"], maxReceiveCount: 3 }),
    );
    const changed = await applyTopology(
      clients,
      deriveTopology({ prefix, participants: ["order"], maxReceiveCount: 7 }),
    );
    expect(changed.changed).toBe(true);
    expect(changed.queues.find((q) => q.name === `${prefix}-order-commands`)?.action).toBe(
      "updated",
    );
    expect(changed.queues.find((q) => q.name === `${prefix}-order-commands-dlq`)?.action).toBe(
      "unchanged",
    );
  });
});

import { createAwsClients } from "@sagaworks/platform";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { describe, expect, inject, it } from "vitest";
import {
  applyTopology,
  deriveTopology,
  eventsTopicName,
  replyQueueName,
  resolveTopology,
  TopologyErrorCode,
} from "../src/index.ts";

const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });

describe("resolveTopology", () => {
  it("names every missing queue and topic, and creates nothing", async () => {
    const topology = deriveTopology({
      prefix: uniqueTestName("resolve missing", 28),
      participants: ["order"],
    });
    const error = await resolveTopology(clients, topology).then(
      () => undefined,
      (caught: unknown) => caught as { code: string; details: { missing: string[] } },
    );
    expect(error?.code).toBe(TopologyErrorCode.missing);
    expect(error?.details.missing).toHaveLength(topology.queues.length + topology.topics.length);
    // Still missing: resolving never creates.
    await expect(resolveTopology(clients, topology)).rejects.toThrow(/SAGAWORKS_APPLY_TOPOLOGY/);
  });

  it("finds what apply created: the same URLs and ARNs, the topic's included", async () => {
    const topology = deriveTopology({
      prefix: uniqueTestName("resolve applied", 28),
      participants: ["order", "account"],
    });
    const applied = await applyTopology(clients, topology);
    const resolved = await resolveTopology(clients, topology);
    expect(resolved.queueUrls).toEqual(applied.queueUrls);
    expect(resolved.queueArns).toEqual(applied.queueArns);
    expect(resolved.topicArns[eventsTopicName(topology.prefix)]).toBe(
      applied.topicArns[eventsTopicName(topology.prefix)],
    );
    expect(resolved.queueUrls[replyQueueName(topology.prefix)]).toBeTruthy();
  });
});

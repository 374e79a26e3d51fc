import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createEnvelope, publishToTopic, routingAttributes } from "@sagaworks/messaging";
import { receiveMessages } from "@sagaworks/messaging/testing";
import { createAwsClients } from "@sagaworks/platform";
import { uniqueTestName } from "@sagaworks/platform/testing";
import { describe, expect, inject, it } from "vitest";
import { applyTopology, deriveTopology, eventQueueName, eventsTopicName } from "../src/index.ts";

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
    expect(first.topics.map((t) => t.action)).toEqual(["created"]);
    expect(first.subscriptions.map((s) => s.action)).toEqual(["created"]);

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

  it("fans SNS events out to SQS with raw delivery, and a filter policy selects by attribute", async () => {
    const prefix = uniqueTestName("fan out", 28);
    const topology = deriveTopology({
      prefix,
      participants: ["order"],
      eventSubscribers: [
        { name: "audit", rawMessageDelivery: true },
        { name: "billing", rawMessageDelivery: true, filterPolicy: { name: ["saga.completed"] } },
      ],
    });
    const applied = await applyTopology(clients, topology);
    const topicArn = applied.topicArns[eventsTopicName(prefix)] ?? "";
    const events = ["saga.started", "saga.step.completed", "saga.completed"].map((name) =>
      createEnvelope({
        kind: "event",
        name,
        sagaId: crypto.randomUUID(),
        sagaName: "create-order",
        sagaVersion: 1,
        step: "approve-order",
        attempt: 1,
        compensation: false,
        payload: {},
      }),
    );
    const report = await publishToTopic(
      clients.sns,
      topicArn,
      events.map((event) => ({
        body: JSON.stringify(event),
        attributes: routingAttributes(event),
      })),
    );
    expect(report.failed).toEqual([]);

    const audit = await receiveMessages(
      clients.sqs,
      applied.queueUrls[eventQueueName(prefix, "audit")] ?? "",
      3,
    );
    // Raw delivery: the body is the envelope itself, not an SNS notification wrapping it.
    expect(audit.map((m) => JSON.parse(m.Body ?? "{}").name).sort()).toEqual([
      "saga.completed",
      "saga.started",
      "saga.step.completed",
    ]);
    expect(audit[0]?.MessageAttributes?.sagaName?.StringValue).toBe("create-order");

    const billingUrl = applied.queueUrls[eventQueueName(prefix, "billing")] ?? "";
    const billing = await receiveMessages(clients.sqs, billingUrl, 1);
    expect(billing.map((m) => JSON.parse(m.Body ?? "{}").name)).toEqual(["saga.completed"]);
    const more = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: billingUrl, WaitTimeSeconds: 1 }),
    );
    expect(more.Messages ?? []).toEqual([]);
  });
});

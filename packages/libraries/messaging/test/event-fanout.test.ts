// The events topic as applyTopology builds it, exercised with the envelopes and routing
// attributes of messaging: raw delivery to each subscriber's queue, and filter policies.
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createAwsClients } from "@sagaworks/platform";
import { uniqueTestName } from "@sagaworks/platform/testing";
import {
  applyTopology,
  deriveTopology,
  eventQueueName,
  eventsTopicName,
} from "@sagaworks/topology";
import { describe, expect, inject, it } from "vitest";
import { createEventEnvelope, publishToTopic, routingAttributes } from "../src/index.ts";
import { receiveMessages } from "../src/testing/index.ts";

const clients = createAwsClients({ endpoint: inject("brokerEndpoint") });

describe("lifecycle events through the derived topology", () => {
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
      createEventEnvelope({
        name,
        sagaId: crypto.randomUUID(),
        sagaName: "create-order",
        sagaVersion: 1,
        step: "approve-order",
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

// Replies are signed by the participant that answers, each with a key of its own, and the
// orchestrator applies one only when it is signed with the key of the participant that owns the
// step it answers, and is fresh. Everything else that reaches the reply queue (unsigned, forged,
// altered, signed by another participant, or an old reply sent again) goes to the DLQ with the
// reason and changes no saga. Through the real reply consumer, on Postgres and the emulator.
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import {
  createReplyEnvelope,
  DeadLetterAttribute,
  type Envelope,
  envelopeMessage,
  type ReplyEnvelope,
  sendToQueue,
  signEnvelope,
} from "@sagaworks/messaging";
import { receiveMessages, waitFor } from "@sagaworks/messaging/testing";
import { deadLetterQueueName, replyQueueName } from "@sagaworks/topology";
import { describe, expect, it } from "vitest";
import { orchestratorForFile } from "./harness.ts";
import { noteSaga } from "./note-saga.ts";

const ORDER_KEY = "order-reply-key-0123456789-0123456789";
const ORDER_OLD_KEY = "order-old-reply-key-0123456789-012345";
const ACCOUNT_KEY = "account-reply-key-0123456789-01234567";
const DAY_MS = 24 * 60 * 60 * 1000;

// One step (order's CreateOrder) that waits long enough for every forged reply to be judged.
const definition = noteSaga({ timeout: "10m" });

const file = orchestratorForFile(
  "reply signatures",
  () => ({
    definitions: [definition],
    replyKeys: {
      order: { current: ORDER_KEY, previous: [ORDER_OLD_KEY] },
      account: { current: ACCOUNT_KEY },
    },
    // A refused reply goes to the DLQ on its first delivery.
    options: { maxReceiveCount: 1 },
  }),
  // An order service that takes the command and stays silent: the test answers in its place.
  { participants: { order: () => null } },
);

async function queueUrl(name: string): Promise<string> {
  return (
    (await file.env.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? ""
  );
}

describe("signed replies", () => {
  it("dead-letters unsigned, forged, altered, other-participant and stale replies, changes no saga, and applies the genuine one", async () => {
    const { sagaId } = await file.orchestrator.runtime.start(definition, {
      customerId: "c-1",
      note: "n",
    });
    const command = await waitFor(
      () => file.participants.order.received.find((c) => c.sagaId === sagaId),
      {
        description: "the CreateOrder command",
      },
    );
    const answer = (sentAt?: Date): ReplyEnvelope =>
      createReplyEnvelope({
        name: "OrderCreated",
        sagaId,
        sagaName: command.sagaName,
        sagaVersion: command.sagaVersion,
        step: command.step,
        attempt: command.attempt,
        compensation: command.compensation,
        causationId: command.messageId,
        payload: { orderId: sagaId, customerId: "c-1", status: "PENDING", totalCents: 1 },
        ...(sentAt ? { sentAt: sentAt.toISOString() } : {}),
      });
    const before = await file.orchestrator.runtime.load(sagaId);

    const unsigned = answer();
    const forged = signEnvelope(answer(), { current: "attacker-key-0123456789-0123456789" });
    const byAccount = signEnvelope(answer(), { current: ACCOUNT_KEY });
    const altered = {
      ...signEnvelope(answer(), { current: ORDER_KEY }),
      payload: { orderId: sagaId, customerId: "c-2", status: "PENDING", totalCents: 1 },
    };
    const stale = signEnvelope(answer(new Date(Date.now() - 22 * DAY_MS)), {
      current: ORDER_KEY,
    });
    const refused = [unsigned, forged, byAccount, altered, stale];
    await sendToQueue(
      file.env.clients.sqs,
      await queueUrl(replyQueueName(file.env.prefix)),
      refused.map((reply) => envelopeMessage(reply)),
    );
    const dead = await receiveMessages(
      file.env.clients.sqs,
      await queueUrl(deadLetterQueueName(replyQueueName(file.env.prefix))),
      refused.length,
      { timeoutMs: 30_000 },
    );
    const reasons = new Map(
      dead.map((m) => [
        (JSON.parse(m.Body ?? "{}") as Envelope).messageId,
        m.MessageAttributes?.[DeadLetterAttribute.reason]?.StringValue,
      ]),
    );
    const byOrderKey = "(checked with the reply key of order, which answers step create-order)";
    expect(reasons.get(unsigned.messageId)).toBe(
      `OrderCreated refused: the reply is not signed ${byOrderKey}`,
    );
    for (const { messageId } of [forged, byAccount, altered]) {
      expect(reasons.get(messageId)).toBe(
        `OrderCreated refused: the signature does not match: forged, altered, or an unknown key ${byOrderKey}`,
      );
    }
    expect(reasons.get(stale.messageId)).toMatch(
      /^OrderCreated refused: it was signed 22 days ago .*longer than any redelivery or replay allows \(19 days\)/,
    );

    // No saga changed: same revision and history, no delivery recorded for any of them.
    const after = await file.orchestrator.runtime.load(sagaId);
    expect(after.instance.revision).toBe(before.instance.revision);
    expect(after.history).toHaveLength(before.history.length);
    expect(after.instance.snapshot.status).toBe("running");
    const recorded = await file.env.db
      .knex("saga_inbox")
      .whereIn(
        "message_id",
        refused.map((reply) => reply.messageId),
      )
      .count({ n: "*" })
      .first();
    expect(Number(recorded?.n)).toBe(0);

    // The genuine reply, signed with order's previous key (a rotation under way), is applied.
    const genuine = signEnvelope(answer(), { current: ORDER_OLD_KEY });
    await sendToQueue(file.env.clients.sqs, await queueUrl(replyQueueName(file.env.prefix)), [
      envelopeMessage(genuine),
    ]);
    await waitFor(
      async () =>
        (await file.orchestrator.runtime.load(sagaId)).instance.snapshot.status === "completed",
      { description: "the saga to complete on the genuine reply", timeoutMs: 30_000 },
    );
  });
});

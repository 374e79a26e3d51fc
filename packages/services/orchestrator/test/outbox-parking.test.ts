// What the orchestrator does with what it cannot send or should not keep: a command too large for

import {
  createReplyEnvelope,
  devReplyKey,
  devReplyKeyring,
  signEnvelope,
} from "@sagaworks/messaging";
import { waitFor } from "@sagaworks/messaging/testing";
import { describe, expect, it } from "vitest";
import { handleReply, JUNK_REPLIES_IN_HISTORY } from "../src/index.ts";
import { API_TOKEN, orchestratorForFile, shopAnswers, viewSaga } from "./harness.ts";
import { noteSaga } from "./note-saga.ts";

/** One command step whose CreateOrder carries `$.input.note`; a late command would time out. */
const noteSagaDefinition = noteSaga({
  retry: { maxAttempts: 5, initialDelay: "1s", jitter: "none" },
  timeout: "2s",
});

const file = orchestratorForFile("outbox parking", () => ({ definitions: [noteSagaDefinition] }), {
  participants: { order: shopAnswers().order },
});

const auth = { authorization: `Bearer ${API_TOKEN}` };
const view = (sagaId: string) => viewSaga(file.orchestrator, sagaId);
const statusOf = (sagaId: string, wanted: string) =>
  waitFor(
    async () => {
      const saga = await view(sagaId);
      return saga.status === wanted ? saga : undefined;
    },
    { description: `saga ${sagaId} to be ${wanted}`, timeoutMs: 20_000 },
  );

describe("an outbox message that can never be sent", () => {
  it("a poison outbox row never delays another saga's message", async () => {
    // The runtime is called directly: the API refuses such an input at the start, but a message
    // can outgrow SQS in other ways (mapped replies), and the relay must cope.
    const [poisoned, healthy] = await Promise.all([
      file.orchestrator.runtime.start(noteSagaDefinition, {
        customerId: "c-big",
        note: "x".repeat(1_100_000),
      }),
      file.orchestrator.runtime.start(noteSagaDefinition, {
        customerId: "c-ok",
        note: "gift wrap",
      }),
    ]);
    // The healthy saga's command went out on its first attempt: never timed out, never resent.
    const done = await statusOf(healthy.sagaId, "completed");
    expect(done.history.map((h: { eventType: string }) => h.eventType)).toEqual(["start", "reply"]);
    expect(
      file.participants.order.received
        .filter((c) => c.sagaId === healthy.sagaId)
        .map((c) => c.attempt),
    ).toEqual([1]);

    // The poisoned one is parked with the reason, and the API shows the message.
    const parked = await statusOf(poisoned.sagaId, "needs-intervention");
    expect(parked.snapshot.failure).toMatchObject({
      step: "create-order",
      code: "OUTBOX_UNDELIVERABLE",
      message: expect.stringMatching(/MESSAGE_TOO_LARGE/),
    });
    expect(parked.parkedMessages).toEqual([
      expect.objectContaining({
        kind: "sqs",
        name: "CreateOrder",
        reason: expect.stringMatching(/can never be sent/),
      }),
    ]);
    expect(parked.history.at(-1)).toMatchObject({
      eventType: "outbox.parked",
      applied: true,
      status: "needs-intervention",
    });
    expect(file.participants.order.received.some((c) => c.sagaId === poisoned.sagaId)).toBe(false);
    expect(file.orchestrator.metrics.outboxParked).toBeGreaterThanOrEqual(1);
    // Nothing of it is left in the outbox once its saga.needs-intervention event is published,
    // and no timer will wake it: an operator decides.
    await waitFor(
      async () =>
        (await file.env.db.knex("saga_outbox").where({ saga_id: poisoned.sagaId })).length === 0,
      { description: "the needs-intervention event to be sent" },
    );
    expect(await file.env.db.knex("saga_timers").where({ saga_id: poisoned.sagaId })).toEqual([]);

    const resolved = await file.orchestrator.api.inject({
      method: "POST",
      url: `/sagas/${poisoned.sagaId}/resolve`,
      headers: auth,
      payload: { actor: "ops@example.com", reason: "order taken by phone" },
    });
    expect(resolved.json()).toMatchObject({ status: "resolved" });
  });
});

describe("replies naming a step the saga does not have", () => {
  it("are counted, and only the first few reach the history", async () => {
    const { sagaId } = await file.orchestrator.runtime.start(noteSagaDefinition, {
      customerId: "c-junk",
      note: "n",
    });
    const before = (await statusOf(sagaId, "completed")).history.length;
    const junk = 3 * JUNK_REPLIES_IN_HISTORY;
    // Signed by the saga's participant (order), so they pass the signature check and reach the
    // saga as replies to a step it does not have.
    const checks = { keys: devReplyKeyring(["order"]), clock: () => new Date() };
    for (let i = 0; i < junk; i++) {
      const unsigned = createReplyEnvelope({
        name: "OrderCreated",
        sagaId,
        sagaName: noteSagaDefinition.name,
        sagaVersion: noteSagaDefinition.version,
        step: `no-such-step-${i}`,
        attempt: 1,
        compensation: false,
        causationId: crypto.randomUUID(),
        payload: {},
      });
      const envelope = signEnvelope(unsigned, { current: devReplyKey("order") });
      const result = await handleReply(
        file.orchestrator.runtime,
        { body: envelope, sqsMessageId: `junk-${i}`, receiveCount: 1, attributes: {} },
        checks,
      );
      expect(result.type).toBe("ack");
    }
    const saga = await view(sagaId);
    expect(saga.junkReplies).toBe(junk);
    expect(saga.history).toHaveLength(before + JUNK_REPLIES_IN_HISTORY);
    expect(saga.status).toBe("completed");
  });
});

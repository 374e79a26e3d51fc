// What happens when answers, timers and operators race on one saga, on real Postgres: a deadline
// timer read before an operator re-armed it, replies that name another command, and operator
// actions chosen on a view of the saga that is no longer true. The orchestrator is built but not
// started: each test plays the replicas' parts by hand, with its own clock, in the order it needs.
import { serviceContracts } from "@sagaworks/contracts";
import {
  createReplyEnvelope,
  devReplyKey,
  devReplyKeyring,
  signEnvelope,
} from "@sagaworks/messaging";
import { type CompiledSaga, compileSagaOrThrow } from "@sagaworks/saga-definition";
import { createOrderStep } from "@sagaworks/saga-definition/testing";
import { deadlineTimerId } from "@sagaworks/saga-engine";
import { describe, expect, it } from "vitest";
import { handleReply, JUNK_REPLIES_IN_HISTORY } from "../src/index.ts";
import { timersOf } from "../src/store/timers.ts";
import { API_TOKEN, orchestratorForFile, viewSaga } from "./harness.ts";
import { customerIdInput } from "./note-saga.ts";

/** One pivot step (no retries: a timeout parks it) in a saga with a one-minute deadline. */
const saga: CompiledSaga = compileSagaOrThrow(
  {
    name: "deadline-order",
    version: 1,
    description: "one pivot step under a saga deadline",
    input: customerIdInput,
    timeout: "1m",
    steps: [createOrderStep({ pivot: true, retry: { maxAttempts: 1 }, timeout: "10s" })],
  },
  { contracts: serviceContracts },
);

const T0 = Date.parse("2026-03-01T00:00:00.000Z");
let now = new Date(T0);
const file = orchestratorForFile("races", () => ({ definitions: [saga], clock: () => now }), {
  start: false,
});

const auth = { authorization: `Bearer ${API_TOKEN}` };
const view = (sagaId: string) => viewSaga(file.orchestrator, sagaId);

function operatorAction(sagaId: string, action: string, body: Record<string, unknown>) {
  return file.orchestrator.api.inject({
    method: "POST",
    url: `/sagas/${sagaId}/${action}`,
    headers: auth,
    payload: { actor: "ops@example.com", reason: "ticket-7", ...body },
  });
}

/** Starts a saga at `at` and times its one attempt out: it is parked at the pivot. */
async function parkedSaga(customerId: string): Promise<string> {
  now = new Date(T0);
  const { sagaId } = await file.orchestrator.runtime.start(saga, { customerId });
  now = new Date(T0 + 10_000);
  const [timeout] = (await timersOf(file.env.db.knex, sagaId)).filter(
    (timer) => timer.event.type === "step-timeout",
  );
  if (!timeout) throw new Error("no step timeout armed");
  await file.orchestrator.runtime.apply(sagaId, timeout.event, { timerId: timeout.id });
  expect((await view(sagaId)).status).toBe("needs-intervention");
  return sagaId;
}

describe("a deadline timer read before an operator re-armed it", () => {
  it("is not taken by the replica that read it: the operator's retry stands", async () => {
    const sagaId = await parkedSaga("c-deadline");
    // One minute in, two replicas read the due deadline row.
    now = new Date(T0 + 60_000);
    const read = (await timersOf(file.env.db.knex, sagaId)).find(
      (timer) => timer.id === deadlineTimerId(sagaId),
    );
    if (!read) throw new Error("no deadline armed");
    // The second applies it: ignored, the saga is parked.
    const second = await file.orchestrator.runtime.apply(sagaId, read.event, { timerId: read.id });
    expect(second.kind).toBe("ignored");
    // The operator retries: the deadline is armed again, a minute from now, under the same id.
    const retried = await operatorAction(sagaId, "retry", {
      expected: { step: "create-order", attempt: 1, compensation: false },
    });
    expect(retried.statusCode).toBe(200);
    const rearmed = (await timersOf(file.env.db.knex, sagaId)).find(
      (timer) => timer.id === read.id,
    );
    expect(rearmed?.fireAt.getTime()).toBe(T0 + 120_000);
    // The first replica now takes the row it read: it is not due, so it is not taken.
    now = new Date(T0 + 60_001);
    const first = await file.orchestrator.runtime.apply(sagaId, read.event, { timerId: read.id });
    expect(first.kind).toBe("timer-gone");
    const after = await view(sagaId);
    expect(after.status).toBe("running");
    expect(after.snapshot.pending["create-order"]).toMatchObject({
      step: "create-order",
      attempt: 2,
    });
    expect(
      (await timersOf(file.env.db.knex, sagaId))
        .find((timer) => timer.id === read.id)
        ?.fireAt.getTime(),
    ).toBe(T0 + 120_000);
  });
});

/** A reply to the saga's pending attempt that names `causationId` as the command it answers. */
function replyTo(sagaId: string, attempt: number, causationId: string, step = "create-order") {
  return createReplyEnvelope({
    name: "OrderCreated",
    sagaId,
    sagaName: saga.name,
    sagaVersion: saga.version,
    step,
    attempt,
    compensation: false,
    causationId,
    payload: { orderId: sagaId, status: "PENDING" },
  });
}

// Signed by the step's participant, as a genuine reply is: only the causation id is wrong.
const deliver = (envelope: ReturnType<typeof replyTo>, id: string) =>
  handleReply(
    file.orchestrator.runtime,
    {
      body: signEnvelope(envelope, { current: devReplyKey("order") }),
      sqsMessageId: id,
      receiveCount: 1,
      attributes: {},
    },
    { keys: devReplyKeyring(["order"]), clock: () => new Date() },
  );

describe("replies are matched to the command the saga waits on", () => {
  it("a reply with the right step and attempt but another causation id is not applied", async () => {
    now = new Date(T0);
    const { sagaId } = await file.orchestrator.runtime.start(saga, { customerId: "c-cause" });
    const [row] = await file.env.db.knex("saga_outbox").where({ saga_id: sagaId, kind: "sqs" });
    const command = JSON.parse(row.message.body) as { messageId: string };
    await deliver(replyTo(sagaId, 1, crypto.randomUUID()), "forged-1");
    const ignored = await view(sagaId);
    expect(ignored.status).toBe("running");
    expect(ignored.history.at(-1)).toMatchObject({
      applied: false,
      note: expect.stringMatching(/answers command/),
    });
    await deliver(replyTo(sagaId, 1, command.messageId), "real-1");
    expect((await view(sagaId)).status).toBe("completed");
  });

  it("every reply that is not applied counts against the junk cap, not only unknown steps", async () => {
    now = new Date(T0);
    const { sagaId } = await file.orchestrator.runtime.start(saga, { customerId: "c-junk" });
    const before = (await view(sagaId)).history.length;
    const junk = 3 * JUNK_REPLIES_IN_HISTORY;
    for (let i = 0; i < junk; i++) {
      // A known step, attempts that were never sent, and commands that do not exist.
      await deliver(replyTo(sagaId, 1 + (i % 3), crypto.randomUUID()), `late-${i}`);
    }
    const saga1 = await view(sagaId);
    expect(saga1.junkReplies).toBe(junk);
    expect(saga1.history).toHaveLength(before + JUNK_REPLIES_IN_HISTORY);
    expect(saga1.status).toBe("running");
  });
});

describe("operator actions name what the operator saw", () => {
  it("an action expecting another attempt is refused with 409 SAGA_MOVED_ON and what the saga does now", async () => {
    const sagaId = await parkedSaga("c-moved");
    const stale = await operatorAction(sagaId, "retry", {
      expected: { step: "create-order", attempt: 3, compensation: false },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({
      code: "SAGA_MOVED_ON",
      message: expect.stringMatching(/now waits on create-order attempt 1/),
    });
    expect((await view(sagaId)).status).toBe("needs-intervention");
  });

  it("an action that names nothing is refused with 400", async () => {
    const sagaId = await parkedSaga("c-blind");
    const blind = await operatorAction(sagaId, "retry", {});
    expect(blind.statusCode).toBe(400);
    expect(blind.json().message).toMatch(/expected/);
  });

  it("compensate at a pivot whose outcome is unknown is refused with 409 PIVOT_OUTCOME_UNKNOWN", async () => {
    const sagaId = await parkedSaga("c-pivot");
    const expected = { step: "create-order", attempt: 1, compensation: false };
    const refused = await operatorAction(sagaId, "compensate", { expected });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: "PIVOT_OUTCOME_UNKNOWN" });
    const stated = await operatorAction(sagaId, "compensate", {
      expected,
      pivotOutcome: "not-applied",
    });
    expect(stated.statusCode).toBe(200);
    expect(stated.json()).toMatchObject({ status: "failed" });
  });
});

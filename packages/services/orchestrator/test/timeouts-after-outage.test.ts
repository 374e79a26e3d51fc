// An orchestrator that starts after every orchestrator was down reads the replies waiting in the
// reply queue before it fires the step timeouts that came due meanwhile: on real Postgres (or
// PGlite) and the emulator over HTTP.
import { GetQueueAttributesCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { serviceContracts } from "@sagaworks/contracts";
import type { CommandEnvelope } from "@sagaworks/messaging";
import { waitFor } from "@sagaworks/messaging/testing";
import { type CompiledSaga, compileSagaOrThrow } from "@sagaworks/saga-definition";
import { createOrderStep } from "@sagaworks/saga-definition/testing";
import { replyQueueName } from "@sagaworks/topology";
import { describe, expect, it } from "vitest";
import type { Orchestrator } from "../src/index.ts";
import {
  type Answer,
  cleanupsAfterEach,
  customerTotalInput,
  shopAnswers,
  startOrchestrator,
  startParticipant,
  type TestEnv,
  testEnv,
} from "./harness.ts";

const cleanups = cleanupsAfterEach();

/** One command step with a 1 s timeout and a retry: a fired timeout shows as attempt 2. */
function oneStepSaga(): CompiledSaga {
  return compileSagaOrThrow(
    {
      name: "one-order",
      version: 1,
      description: "one command step with a short timeout",
      input: customerTotalInput(),
      timeout: "1m",
      steps: [
        createOrderStep(
          { retry: { maxAttempts: 3, initialDelay: "200ms", jitter: "none" }, timeout: "1s" },
          { totalCents: "$.input.totalCents" },
        ),
      ],
    },
    { contracts: serviceContracts },
  );
}

interface History {
  event_type: string;
  applied: boolean;
  note: string;
}

async function historyOf(env: TestEnv, sagaId: string): Promise<History[]> {
  return env.db
    .knex("saga_history")
    .where({ saga_id: sagaId })
    .orderBy("seq")
    .select("event_type", "applied", "note");
}

async function statusOf(env: TestEnv, sagaId: string): Promise<string | undefined> {
  const row = (await env.db.knex("saga_instances").where({ id: sagaId }).first("status")) as
    | { status: string }
    | undefined;
  return row?.status;
}

/**
 * Runs the outage: an orchestrator starts the saga and stops once the participant holds the
 * command; the step timeout comes due while none runs; then the participant answers attempt 1
 * (or not), its reply waits in the queue, and a second orchestrator starts with `hold`.
 */
async function outage(
  name: string,
  answerFirstAttempt: boolean,
  holdStepTimeoutsMaxMs: number,
): Promise<{ env: TestEnv; sagaId: string; second: Orchestrator; received: CommandEnvelope[] }> {
  const saga = oneStepSaga();
  const env = await testEnv(name);
  cleanups.push(() => env.close());
  // The first one never looks for due timers again after its start, so however slow the machine,
  // the step timeout is still pending when it stops.
  const first = await startOrchestrator(env, {
    definitions: [saga],
    options: { timerPollIntervalMs: 3_600_000 },
  });
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const answers = shopAnswers();
  const order = await startParticipant(env, "order", async (command): Promise<Answer> => {
    if (command.attempt > 1) return answers.order(command);
    await released;
    return answerFirstAttempt ? answers.order(command) : null;
  });
  cleanups.push(() => {
    // A test that failed early must not leave the handler, and so the consumer's stop, waiting.
    release();
    return order.consumer.stop();
  });
  const { sagaId } = await first.runtime.start(saga, { customerId: "c-1", totalCents: 100 });
  await waitFor(() => order.received.length === 1, { description: "the first CreateOrder" });
  await first.stop();
  const timeout = (await env.db
    .knex("saga_timers")
    .where({ id: `${sagaId}:timeout:create-order:1:action` })
    .first("fire_at")) as { fire_at: Date | string };
  await waitFor(() => Date.now() > new Date(timeout.fire_at).getTime() + 100, {
    description: "the step timeout to come due",
  });
  release();
  if (answerFirstAttempt) {
    const { QueueUrl } = await env.clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: replyQueueName(env.prefix) }),
    );
    await waitFor(
      async () => {
        const { Attributes } = await env.clients.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl,
            AttributeNames: ["ApproximateNumberOfMessages"],
          }),
        );
        return Number(Attributes?.ApproximateNumberOfMessages ?? 0) > 0;
      },
      { description: "the reply to wait in the reply queue" },
    );
  }
  const second = await startOrchestrator(env, {
    definitions: [saga],
    options: { holdStepTimeoutsMaxMs },
  });
  cleanups.push(() => second.stop());
  return { env, sagaId, second, received: order.received };
}

describe("step timeouts after every orchestrator was down", () => {
  it("applies the reply waiting in the queue before the overdue timeout of its step", async () => {
    const { env, sagaId, second, received } = await outage("replies first", true, 60_000);
    await waitFor(async () => (await statusOf(env, sagaId)) === "completed", {
      description: "the saga to complete",
    });
    const history = await historyOf(env, sagaId);
    expect(history.filter((h) => h.applied).map((h) => h.event_type)).toEqual(["start", "reply"]);
    expect(history.some((h) => h.event_type === "step-timeout" && h.applied)).toBe(false);
    expect(received.map((c) => `${c.name}#${c.attempt}`)).toEqual(["CreateOrder#1"]);
    expect(second.timers.held).toBe(1);
  });

  it("fires a held step timeout whose reply never comes once the reply queue was read", async () => {
    const { env, sagaId, second, received } = await outage("no reply", false, 60_000);
    await waitFor(async () => (await statusOf(env, sagaId)) === "completed", {
      description: "the saga to complete on its second attempt",
    });
    const notes = (await historyOf(env, sagaId)).map((h) => `${h.event_type}: ${h.note}`);
    expect(notes).toContainEqual(
      expect.stringMatching(/^step-timeout: create-order attempt 1 failed \(STEP_TIMEOUT/),
    );
    expect(received.map((c) => `${c.name}#${c.attempt}`)).toEqual([
      "CreateOrder#1",
      "CreateOrder#2",
    ]);
    // Held first, and released by the read queue, well before the 60 s limit.
    expect(second.timers.held).toBe(1);
  });

  it("fires overdue step timeouts at once when the hold is off", async () => {
    const { env, sagaId, second } = await outage("hold off", false, 0);
    await waitFor(async () => (await statusOf(env, sagaId)) === "completed", {
      description: "the saga to complete on its second attempt",
    });
    expect(second.timers.held).toBe(0);
  });
});

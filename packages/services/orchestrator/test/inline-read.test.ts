// A start whose first step is a read-only HTTP call makes the call before it commits and writes
// the saga with the answer applied; answers the step does not name, and slow ones, go the usual
// way through the outbox, where the HTTP invoker makes the call again.
import { waitFor } from "@sagaworks/messaging/testing";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import {
  cleanupsAfterEach,
  createTestOrchestrator,
  shippedDefinitions,
  startOrchestrator,
  startOrderThroughApi,
  type TestEnv,
  testEnv,
} from "./harness.ts";

const definitions = await shippedDefinitions();

const cleanups = cleanupsAfterEach();

/** A customer service whose answers the test scripts, one per call (the last one repeats). */
async function scriptedCustomer(
  answers: { status: number; delayMs?: number }[],
): Promise<{ url: string; calls: number }> {
  const app = Fastify();
  const state = { calls: 0 };
  app.get<{ Params: { id: string } }>("/customers/:id", async (request, reply) => {
    const answer = answers[Math.min(state.calls, answers.length - 1)] ?? { status: 200 };
    state.calls++;
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (answer.status !== 200) return reply.code(answer.status).send({ error: "scripted" });
    return { id: request.params.id, name: "Ada" };
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  cleanups.push(() => app.close());
  return {
    url,
    get calls() {
      return state.calls;
    },
  };
}

async function setUp(name: string): Promise<TestEnv> {
  const env = await testEnv(name);
  cleanups.push(() => env.close());
  return env;
}

async function start(env: TestEnv, customerUrl: string, inlineReadTimeoutMs?: number) {
  const orchestrator = await createTestOrchestrator(env, {
    definitions,
    serviceUrls: { customer: customerUrl },
    ...(inlineReadTimeoutMs === undefined ? {} : { options: { inlineReadTimeoutMs } }),
  });
  const sagaId = await startOrderThroughApi(orchestrator, "c-1", 2_500);
  const detail = await orchestrator.runtime.load(sagaId);
  const outbox = (await env.db.knex("saga_outbox").where({ saga_id: sagaId })) as {
    kind: string;
    message: { name?: string; body?: string };
  }[];
  const timers = (await env.db.knex("saga_timers").where({ saga_id: sagaId })) as {
    event: { type: string; step?: string };
  }[];
  return { orchestrator, sagaId, detail, outbox, timers };
}

describe("a start whose first step is a read-only HTTP call", () => {
  it("commits once with the answer applied: two history entries, the next command, no call row", async () => {
    const env = await setUp("inline read ok");
    const customer = await scriptedCustomer([{ status: 200 }]);
    const { detail, outbox, timers } = await start(env, customer.url);

    expect(customer.calls).toBe(1);
    expect(detail.history.map((entry) => [entry.eventType, entry.applied])).toEqual([
      ["start", true],
      ["http-response", true],
    ]);
    expect(detail.history.map((entry) => entry.seq)).toEqual([1, 2]);
    // The revision counts the transitions written, as one write per transition would have.
    expect(detail.instance.revision).toBe(2);
    expect(detail.instance.snapshot.steps["verify-customer"]?.status).toBe("succeeded");
    expect(detail.instance.snapshot.steps["create-order"]?.status).toBe("running");
    // No HTTP row; the command of the next step and the started event are in the outbox.
    expect(outbox.map((row) => row.kind).sort()).toEqual(["sns", "sqs"]);
    // The call's timeout was armed and cancelled within the write: never written.
    expect(timers.filter((timer) => timer.event.step === "verify-customer")).toEqual([]);
    expect(timers.filter((timer) => timer.event.step === "create-order")).toHaveLength(1);
  });

  it("ends the saga in that one write on a business failure the step names (404)", async () => {
    const env = await setUp("inline read 404");
    const customer = await scriptedCustomer([{ status: 404 }]);
    const { detail, outbox, timers } = await start(env, customer.url);

    expect(customer.calls).toBe(1);
    expect(detail.instance.status).toBe("failed");
    expect(detail.history.map((entry) => entry.eventType)).toEqual(["start", "http-response"]);
    expect(outbox.every((row) => row.kind === "sns")).toBe(true);
    expect(timers.filter((timer) => timer.event.type === "step-timeout")).toEqual([]);
  });

  it("leaves a 503 to the invoker, which calls again and applies the answer once", async () => {
    const env = await setUp("inline read 503");
    const customer = await scriptedCustomer([{ status: 503 }, { status: 200 }]);
    const { orchestrator, sagaId, detail, outbox } = await start(env, customer.url);

    // Nothing of the 503 was applied: the start alone, and the call waiting in the outbox.
    expect(customer.calls).toBe(1);
    expect(detail.history.map((entry) => entry.eventType)).toEqual(["start"]);
    expect(detail.instance.revision).toBe(1);
    expect(outbox.filter((row) => row.kind === "http")).toHaveLength(1);

    const replica = await startOrchestrator(env, {
      definitions,
      serviceUrls: { customer: customer.url },
      options: { httpPollIntervalMs: 50 },
    });
    cleanups.push(() => replica.stop());
    // The written call is leased to its writer, which never runs its invoker: let it run out.
    await env.db
      .knex("saga_outbox")
      .where({ saga_id: sagaId, kind: "http" })
      .update({ available_at: new Date(Date.now() - 1_000) });
    const history = await waitFor(
      async () => {
        const { history } = await orchestrator.runtime.load(sagaId);
        return history.some((entry) => entry.eventType === "http-response") ? history : undefined;
      },
      { description: "the invoker's call to be answered" },
    );
    expect(history.filter((entry) => entry.eventType === "http-response")).toHaveLength(1);
    expect(customer.calls).toBe(2);
  });

  it("leaves a call slower than the inline budget to the invoker, with the step's own timeout", async () => {
    const env = await setUp("inline read slow");
    const customer = await scriptedCustomer([{ status: 200, delayMs: 300 }]);
    const { detail, outbox } = await start(env, customer.url, 50);

    expect(detail.history.map((entry) => entry.eventType)).toEqual(["start"]);
    const calls = outbox.filter((row) => row.kind === "http");
    expect(calls).toHaveLength(1);
    // The step's timeout (5 s in create-order), not the inline budget, bounds the invoker's call.
    expect(calls[0]?.message).toMatchObject({ timeoutMs: 5_000 });
  });
});

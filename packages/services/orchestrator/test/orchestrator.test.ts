import { serviceContracts } from "@sagaworks/contracts";
import type { SqsConsumer } from "@sagaworks/messaging";
import { waitFor } from "@sagaworks/messaging/testing";
import { type CompiledSaga, compileSagaOrThrow } from "@sagaworks/saga-definition";
import {
  createOrderStep,
  rejectOrderCompensation,
  reserveCreditStep,
} from "@sagaworks/saga-definition/testing";
import { describe, expect, it } from "vitest";
import type { Orchestrator } from "../src/index.ts";
import {
  API_TOKEN,
  cleanupsAfterEach,
  customerTotalInput,
  orderInput,
  shippedDefinitions,
  shopAnswers,
  startCustomerServer,
  startOrchestrator,
  startParticipant,
  type TestEnv,
  testEnv,
  waitForSaga,
} from "./harness.ts";

const definitions = await shippedDefinitions();

const cleanups = cleanupsAfterEach();

async function setUp(
  name: string,
  options: {
    definitions?: CompiledSaga[];
    limitCents?: number;
    duplicateReplies?: boolean;
    /** The customer stand-in requires this token; the orchestrator sends `serviceToken`. */
    customerToken?: string;
    serviceToken?: string;
  } = {},
) {
  const env = await testEnv(name);
  cleanups.push(() => env.close());
  const customer = await startCustomerServer(options.customerToken);
  cleanups.push(() => customer.close());
  const orchestrator = await startOrchestrator(env, {
    definitions: options.definitions ?? definitions,
    serviceUrls: { customer: customer.url },
    serviceToken: options.serviceToken,
  });
  cleanups.push(() => orchestrator.stop());
  const answers = shopAnswers(options.limitCents);
  const participants: SqsConsumer<unknown>[] = [];
  const order = await startParticipant(env, "order", answers.order, {
    duplicateReplies: options.duplicateReplies ?? false,
  });
  const account = await startParticipant(env, "account", answers.account, {
    duplicateReplies: options.duplicateReplies ?? false,
  });
  participants.push(
    order.consumer as SqsConsumer<unknown>,
    account.consumer as SqsConsumer<unknown>,
  );
  cleanups.push(async () => {
    await Promise.all(participants.map((p) => p.stop()));
  });
  return { env, orchestrator, order, account, customer };
}

async function start(orchestrator: Orchestrator, name: string, input: unknown, key?: string) {
  const response = await orchestrator.api.inject({
    method: "POST",
    url: `/sagas/${name}`,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...(key ? { "idempotency-key": key } : {}) },
    payload: { input },
  });
  return {
    statusCode: response.statusCode,
    body: response.json() as { sagaId: string; created: boolean },
  };
}

async function settled(orchestrator: Orchestrator, sagaId: string, timeoutMs = 20_000) {
  const saga = await waitForSaga(
    orchestrator,
    sagaId,
    "to settle",
    (body) =>
      ["completed", "compensated", "failed", "needs-intervention", "resolved"].includes(
        body.snapshot.status,
      ),
    timeoutMs,
  );
  return saga as {
    snapshot: { status: string };
    history: { eventType: string; applied: boolean; note: string }[];
  };
}

describe("create-order through the orchestrator", () => {
  it("completes the happy path, with every step in the history and the outbox drained", async () => {
    const { env, orchestrator, order, account, customer } = await setUp("happy path");
    const started = await start(orchestrator, "create-order", orderInput("c-1", 2_500));
    expect(started.statusCode).toBe(201);
    const saga = await settled(orchestrator, started.body.sagaId);
    expect(saga.snapshot.status).toBe("completed");
    expect(customer.calls).toBe(1);
    expect(order.received.map((c) => c.name)).toEqual(["CreateOrder", "ApproveOrder"]);
    expect(account.received.map((c) => c.name)).toEqual(["ReserveCredit"]);
    expect(account.received[0]?.payload).toEqual({
      customerId: "c-1",
      orderId: started.body.sagaId,
      amountCents: 2_500,
    });
    expect(saga.history.filter((h) => h.applied).map((h) => h.eventType)).toEqual([
      "start",
      "http-response",
      "reply",
      "reply",
      "reply",
    ]);
    await waitFor(
      async () => Number((await env.db.knex("saga_outbox").count({ n: "*" }))[0]?.n) === 0,
      {
        description: "the outbox to drain",
      },
    );
    // Nothing is left armed for a finished saga.
    expect(await env.db.knex("saga_timers").where({ saga_id: started.body.sagaId })).toEqual([]);
  });

  it("compensates when the credit limit is exceeded: the order is rejected", async () => {
    const { orchestrator, order } = await setUp("credit limit", { limitCents: 1_000 });
    const started = await start(orchestrator, "create-order", orderInput("c-2", 5_000));
    const saga = await settled(orchestrator, started.body.sagaId);
    expect(saga.snapshot.status).toBe("compensated");
    expect(order.received.map((c) => [c.name, c.compensation])).toEqual([
      ["CreateOrder", false],
      ["RejectOrder", true],
    ]);
    expect(order.received[1]?.idempotencyKey).toBe(
      `${started.body.sagaId}:create-order:compensation`,
    );
  });

  it("fails an unknown customer without compensating anything", async () => {
    const { orchestrator, order, account } = await setUp("unknown customer");
    const started = await start(orchestrator, "create-order", orderInput("unknown-9", 100));
    const saga = await settled(orchestrator, started.body.sagaId);
    expect(saga.snapshot.status).toBe("failed");
    expect(order.received).toEqual([]);
    expect(account.received).toEqual([]);
  });

  // The stand-in answers 401 without the token, and create-order maps only 200 and 404.
  it("sends the service token on HTTP steps, so a customer service that requires it answers", async () => {
    const token = "customer-read-token-of-this-test";
    const { orchestrator } = await setUp("service token", {
      customerToken: token,
      serviceToken: token,
    });
    const started = await start(orchestrator, "create-order", orderInput("c-7", 100));
    const saga = await settled(orchestrator, started.body.sagaId);
    expect(saga.snapshot.status).toBe("completed");
  });

  it("applies a reply delivered twice once, and records the second as a duplicate", async () => {
    const { env, orchestrator } = await setUp("duplicate replies", { duplicateReplies: true });
    const started = await start(orchestrator, "create-order", orderInput("c-3", 100));
    const saga = await settled(orchestrator, started.body.sagaId);
    expect(saga.snapshot.status).toBe("completed");
    expect(saga.history.filter((h) => h.eventType === "reply" && h.applied)).toHaveLength(3);
    await waitFor(
      () => orchestrator.runtime.metrics.duplicates + orchestrator.runtime.metrics.ignored >= 3,
      {
        description: "the second copy of each reply to be dropped",
      },
    );
    const inbox = await env.db
      .knex("saga_inbox")
      .where({ saga_id: started.body.sagaId })
      .andWhereNot("message_id", "like", "http:%");
    expect(inbox.length).toBe(3);
  });

  it("returns the same saga for a repeated start with one Idempotency-Key", async () => {
    const { orchestrator } = await setUp("idempotent start");
    const first = await start(orchestrator, "create-order", orderInput("c-4", 100), "order-42");
    const second = await start(orchestrator, "create-order", orderInput("c-4", 100), "order-42");
    expect(first.statusCode).toBe(201);
    expect(second).toEqual({
      statusCode: 200,
      body: { sagaId: first.body.sagaId, created: false },
    });
  });
});

describe("a saga started in code", () => {
  it("is refused, naming the JSON path, when its input does not match the schema", async () => {
    const { env, orchestrator } = await setUp("start in code validates");
    const saga = orchestrator.definitions.deployed("create-order");
    if (!saga) throw new Error("create-order is not deployed");
    const bad = {
      ...orderInput("c-code", 100),
      items: [{ sku: "s", quantity: 0, unitPriceCents: 1 }],
    };
    const refused = await orchestrator.runtime.start(saga, bad).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: "SAGA_INPUT_INVALID",
      message: expect.stringContaining("input/items/0/quantity must be >= 1"),
      details: [{ path: "input/items/0/quantity", message: "must be >= 1" }],
    });
    // Refused before the saga exists.
    // pg answers a count as a string, the embedded database as a number.
    const [counted] = await env.db.knex("saga_instances").count({ n: "*" });
    expect(Number(counted?.n)).toBe(0);
  });
});

/** create-order with short timeouts, so timers fire within a test. */
function fastDefinition(): CompiledSaga {
  const definition = {
    name: "quick-order",
    version: 1,
    description: "create-order with short timeouts",
    input: customerTotalInput(),
    timeout: "1m",
    steps: [
      createOrderStep(
        {
          compensation: rejectOrderCompensation(),
          retry: { maxAttempts: 3, initialDelay: "200ms", jitter: "none" },
          timeout: "1s",
        },
        { totalCents: "$.input.totalCents" },
      ),
      reserveCreditStep({ pivot: true, timeout: "1s" }),
    ],
  };
  return compileSagaOrThrow(definition, { contracts: serviceContracts });
}

describe("timers live in Postgres", () => {
  let env: TestEnv;
  it("fires a step timeout and a retry delay from the timer table", async () => {
    const quick = fastDefinition();
    env = await testEnv("timers");
    cleanups.push(() => env.close());
    const orchestrator = await startOrchestrator(env, { definitions: [quick] });
    cleanups.push(() => orchestrator.stop());
    const answers = shopAnswers();
    // The order service drops the first CreateOrder on the floor: only the timeout wakes the saga.
    const order = await startParticipant(env, "order", (command) =>
      command.name === "CreateOrder" && command.attempt === 1 ? null : answers.order(command),
    );
    const account = await startParticipant(env, "account", answers.account);
    cleanups.push(async () => {
      await order.consumer.stop();
      await account.consumer.stop();
    });
    const started = await orchestrator.runtime.start(quick, { customerId: "c-5", totalCents: 100 });
    const timers = await env.db.knex("saga_timers").where({ saga_id: started.sagaId }).select("id");
    expect(timers.map((t) => t.id).sort()).toEqual([
      `${started.sagaId}:deadline`,
      `${started.sagaId}:timeout:create-order:1:action`,
    ]);
    const saga = await settled(orchestrator, started.sagaId);
    expect(saga.snapshot.status).toBe("completed");
    const notes = saga.history.map((h) => `${h.eventType}: ${h.note}`);
    expect(notes).toContainEqual(
      expect.stringMatching(/^step-timeout: create-order attempt 1 failed \(STEP_TIMEOUT/),
    );
    expect(notes).toContainEqual("retry-timer: create-order attempt 2");
    expect(order.received.map((c) => `${c.name}#${c.attempt}`)).toEqual([
      "CreateOrder#1",
      "CreateOrder#2",
    ]);
  });
});

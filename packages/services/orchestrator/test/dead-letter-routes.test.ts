// The read-only dead-letter view over a real orchestrator, broker and database: an order
// participant that fails every delivery pushes real CreateOrder commands to its DLQ (with the
// reason its consumer records), one saga then moves on by an operator's compensation, and a
// poison body and a command for an unknown saga join them. The view lists the DLQs with their
// depth, groups the messages, joins each to its saga, plans the dry run, and leaves every
// message visible in the queue.
import { readFileSync } from "node:fs";
import { GetQueueAttributesCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { serviceContracts } from "@sagaworks/contracts";
import {
  createCommandEnvelope,
  DeadLetterAttribute,
  envelopeMessage,
  sendToQueue,
} from "@sagaworks/messaging";
import { alwaysFailingConsumer, waitFor } from "@sagaworks/messaging/testing";
import { compileSagaOrThrow } from "@sagaworks/saga-definition";
import { activeWork } from "@sagaworks/saga-engine";
import {
  commandQueueName,
  deadLetterQueueName,
  outsideEventsQueueName,
  replyQueueName,
} from "@sagaworks/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Orchestrator } from "../src/index.ts";
import {
  API_TOKEN,
  definitionsDir,
  orderInput,
  startCustomerServer,
  startOrchestrator,
  type TestEnv,
  testEnv,
} from "./harness.ts";

let env: TestEnv;
let orchestrator: Orchestrator;
let base: string;
let orderDlq: string;
let orderQueue: string;
const closers: (() => Promise<unknown>)[] = [];
const auth = { authorization: `Bearer ${API_TOKEN}` };
const sagas = { waiting: "", movedOn: "" };
const unknownSaga = crypto.randomUUID();

async function call(method: string, path: string, body?: unknown, headers = auth) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field.
  return { status: response.status, body: (await response.json()) as any };
}

async function queueUrl(name: string) {
  return (await env.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? "";
}

async function counts(name: string) {
  const { Attributes = {} } = await env.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await queueUrl(name),
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

/** The shipped create-order, its command steps patient enough to wait out the test. */
function patientCreateOrder() {
  const definition = JSON.parse(
    readFileSync(`${definitionsDir}/create-order.saga.json`, "utf8"),
  ) as { steps: { kind: string; timeout?: string }[] };
  for (const step of definition.steps) if (step.kind === "command") step.timeout = "10m";
  return compileSagaOrThrow(definition, { contracts: serviceContracts });
}

beforeAll(async () => {
  env = await testEnv("dead letter routes");
  const customers = await startCustomerServer();
  closers.push(() => customers.close());
  orchestrator = await startOrchestrator(env, {
    definitions: [patientCreateOrder()],
    serviceUrls: { customer: customers.url },
  });
  closers.unshift(() => orchestrator.stop());
  base = await orchestrator.api.listen({ port: 0, host: "127.0.0.1" });
  closers.unshift(() => orchestrator.api.close());
  orderQueue = commandQueueName(env.prefix, "order");
  orderDlq = deadLetterQueueName(orderQueue);

  // The order participant is broken: every delivery throws, until its consumer dead-letters the
  // command with the reason on the last one the redrive policy allows.
  const broken = alwaysFailingConsumer({
    sqs: env.clients.sqs,
    queueUrl: await queueUrl(orderQueue),
    reason: "order database unreachable",
  });
  broken.start();
  closers.unshift(() => broken.stop());
  for (const key of ["waiting", "movedOn"] as const) {
    const started = await call("POST", "/sagas/create-order", {
      input: orderInput(`cust-dlq-${key}`, 700),
    });
    expect(started.status).toBe(201);
    sagas[key] = started.body.sagaId;
  }
  await waitFor(async () => (await counts(orderDlq)).visible === 2, {
    timeoutMs: 60_000,
    description: "both CreateOrder commands in the order DLQ",
  });
  await broken.stop();
  // One saga moves on: the operator compensates it, so its dead CreateOrder is stale.
  const compensated = await call("POST", `/sagas/${sagas.movedOn}/compensate`, {
    actor: "ops@example.com",
    reason: "customer cancelled",
    // CreateOrder carried the chain through the pivot (ReserveCredit): the operator states it
    // never ran, which it did not, its first command being dead.
    pivotOutcome: "not-applied",
    expected: (({ step, attempt, compensation }) => ({ step, attempt, compensation }))(
      activeWork<{ step: string; attempt: number; compensation: boolean }>(
        (await call("GET", `/sagas/${sagas.movedOn}`)).body.snapshot,
      ) ?? { step: "", attempt: 0, compensation: false },
    ),
  });
  expect(compensated.status).toBe(200);
  const dlqUrl = await queueUrl(orderDlq);
  await sendToQueue(env.clients.sqs, dlqUrl, [
    {
      body: "{ this is not an envelope",
      attributes: { [DeadLetterAttribute.reason]: "envelope invalid: not JSON" },
    },
    envelopeMessage(
      createCommandEnvelope({
        name: "CreateOrder",
        sagaId: unknownSaga,
        sagaName: "create-order",
        sagaVersion: 1,
        step: "create-order",
        attempt: 1,
        compensation: false,
        idempotencyKey: `${unknownSaga}:create-order`,
        replyTo: replyQueueName(env.prefix),
        payload: {},
      }),
    ),
  ]);
}, 180_000);

afterAll(async () => {
  for (const close of closers) await close();
  await env?.close();
});

describe("the dead-letter view", () => {
  it("refuses every read without the bearer token", async () => {
    for (const path of ["/dead-letters", `/dead-letters/${orderDlq}`]) {
      expect((await call("GET", path, undefined, { authorization: "Bearer nope" })).status).toBe(
        401,
      );
    }
  });

  it("lists every DLQ of the topology with its depth", async () => {
    const { status, body } = await call("GET", "/dead-letters");
    expect(status).toBe(200);
    expect(body.queues.map((q: { name: string }) => q.name).sort()).toEqual(
      [
        deadLetterQueueName(commandQueueName(env.prefix, "account")),
        orderDlq,
        deadLetterQueueName(replyQueueName(env.prefix)),
        deadLetterQueueName(outsideEventsQueueName(env.prefix)),
      ].sort(),
    );
    expect(body.queues.find((q: { name: string }) => q.name === orderDlq)).toMatchObject({
      sourceQueue: orderQueue,
      owner: "order",
      role: "commands",
      maxReceiveCount: 5,
      exists: true,
      depth: { total: 4 },
    });
  });

  it("groups a DLQ's messages, joins them to their sagas and plans the dry run, leaving all in place", async () => {
    const { status, body } = await call("GET", `/dead-letters/${orderDlq}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      count: 4,
      truncated: false,
      verdicts: { waiting: 1, stale: 1, "unknown-saga": 1, poison: 1, event: 0 },
      plan: { send: 1, skip: 3, afterFirst: 0 },
      commands: {
        inspect: `node scripts/bootstrap.mjs ops dlq inspect ${orderDlq}`,
        dryRun: `node scripts/bootstrap.mjs ops dlq replay ${orderDlq}`,
        execute: `node scripts/bootstrap.mjs ops dlq replay ${orderDlq} --execute`,
      },
    });
    expect(body.plan.outcome).toBe(
      `dry run: 1 would be sent to ${orderQueue}, 3 left in ${orderDlq}; add --execute to replay`,
    );
    const group = (verdict: string) =>
      body.groups.find((g: { verdict: string }) => g.verdict === verdict);
    expect(group("waiting")).toMatchObject({
      count: 1,
      name: "CreateOrder",
      step: "create-order",
      reason: "handler threw: order database unreachable",
      plan: { send: 1, skip: 0 },
      replayCommand: `node scripts/bootstrap.mjs ops dlq replay ${orderDlq} --verdict waiting --command CreateOrder`,
      messages: [
        {
          sagaId: sagas.waiting,
          action: "send",
          explanation: "saga waits for create-order attempt 1",
          saga: {
            id: sagas.waiting,
            name: "create-order",
            status: "running",
            state: "step:create-order",
            pending: { "create-order": { step: "create-order", attempt: 1, waitingFor: "reply" } },
          },
        },
      ],
    });
    const stale = group("stale");
    expect(stale.messages[0]).toMatchObject({
      sagaId: sagas.movedOn,
      action: "skip",
      saga: {
        status: "compensating",
        pending: { "create-order": { step: "create-order", compensation: true } },
      },
    });
    expect(stale.messages[0].why).toMatch(/^stale: saga moved on from create-order attempt 1/);
    expect(group("unknown-saga").messages[0]).toMatchObject({
      sagaId: unknownSaga,
      saga: null,
      action: "skip",
    });
    expect(group("unknown-saga").replayCommand).toBeNull();
    expect(group("poison")).toMatchObject({
      reason: "envelope invalid: not JSON",
      replayCommand: null,
      messages: [{ bodyPreview: "{ this is not an envelope", sagaId: null, action: "skip" }],
    });
    // Read and put back: all four are visible again at once, none in flight.
    expect(await counts(orderDlq)).toEqual({ visible: 4, inFlight: 0 });
  });

  it("takes the source queue's name too, and shares one pass between concurrent reads", async () => {
    const [a, b] = await Promise.all([
      call("GET", `/dead-letters/${orderQueue}`),
      call("GET", `/dead-letters/${orderDlq}?limit=100`),
    ]);
    expect(a.body).toMatchObject({ queue: { name: orderDlq }, count: 4 });
    expect(b.body).toMatchObject({ queue: { name: orderDlq }, count: 4 });
    expect(await counts(orderDlq)).toEqual({ visible: 4, inFlight: 0 });
  });

  it("plans stale messages too when asked, and says when a read stopped at its limit", async () => {
    const { body } = await call("GET", `/dead-letters/${orderDlq}?includeStale=true&limit=4`);
    expect(body).toMatchObject({ truncated: true, plan: { send: 2, skip: 2 } });
    expect(body.commands.dryRun).toBe(
      `node scripts/bootstrap.mjs ops dlq replay ${orderDlq} --include-stale`,
    );
  });

  it("answers 404 naming the DLQs for a queue that is not one, and 400 for a bad limit", async () => {
    const unknown = await call("GET", "/dead-letters/no-such-queue");
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("DEAD_LETTER_QUEUE_UNKNOWN");
    expect(unknown.body.message).toContain('No DLQ named "no-such-queue"');
    expect(unknown.body.message).toContain(orderDlq);
    const bad = await call("GET", `/dead-letters/${orderDlq}?limit=0`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("limit");
  });
});

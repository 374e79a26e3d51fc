// End to end: the orchestrator and the real order, account and customer services, over real
// HTTP, the SQS/SNS endpoint over HTTP, and Postgres (one database per service).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { serviceContracts } from "@sagaworks/contracts";
import {
  type CommandEnvelope,
  type CommandInput,
  createCommandEnvelope,
  DEV_COMMAND_KEY,
  envelopeMessage,
  sendToQueue,
  signEnvelope,
} from "@sagaworks/messaging";
import { type CompiledSaga, compileSagaOrThrow } from "@sagaworks/saga-definition";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import { activeWork } from "@sagaworks/saga-engine";
import type { RunningSystem } from "@sagaworks/system";
import {
  openCustomer,
  reserveCreditCommand,
  startTestSystem,
  stopSystemAndDropSchemas,
} from "@sagaworks/system/testing";
import { commandQueueName, replyQueueName } from "@sagaworks/topology";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { Account } from "./e2e.fixtures.ts";

const systems: RunningSystem[] = [];
afterEach(async () => {
  for (const system of systems.splice(0)) await stopAndDrop(system);
});

/** Stops a system and, on a shared Postgres, drops the schemas it made for this test. */
async function stopAndDrop(s: RunningSystem): Promise<void> {
  await stopSystemAndDropSchemas(s);
}

// One system for most tests (starting one costs seconds of embedded Postgres start-up); each
// test opens a customer and an account of its own through the services' APIs, so tests never
// share money.
let shared: RunningSystem;
beforeAll(async () => {
  shared = await system("shared system");
  systems.splice(systems.indexOf(shared), 1);
}, 180_000);
afterAll(async () => {
  if (shared) await stopAndDrop(shared);
});

// Reads of saga data need the API token too.
const E2E_TOKEN = "e2e-token-0123456789";
const readAuth = { headers: { authorization: `Bearer ${E2E_TOKEN}` } };

/** A command built and signed as the orchestrator does, with the system's (development) key. */
function asOrchestrator(input: CommandInput): CommandEnvelope {
  return signEnvelope(createCommandEnvelope(input), { current: DEV_COMMAND_KEY });
}

/**
 * A compensation as an orchestrator of an earlier release sent it: the flat layout, without the
 * `actionKey` (issue 8), signed over exactly those fields.
 */
function asEarlierOrchestrator(input: CommandInput): CommandEnvelope {
  const { actionKey: _notWritten, ...flat } = createCommandEnvelope(input) as CommandEnvelope & {
    actionKey?: string;
  };
  return signEnvelope(flat as CommandEnvelope, { current: DEV_COMMAND_KEY });
}

async function system(
  testName: string,
  definitions?: CompiledSaga[],
  options: { chainSteps?: boolean } = {},
) {
  const running = await startTestSystem(testName, {
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: E2E_TOKEN,
    serviceToken: "e2e-service-token-0123456789",
    definitions,
    ...options,
  });
  systems.push(running);
  return running;
}

async function startSaga(s: RunningSystem, name: string, input: unknown): Promise<string> {
  const response = await fetch(`${s.urls.orchestrator}/sagas/${name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${s.apiToken}`, "content-type": "application/json" },
    body: JSON.stringify({ input }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { sagaId: string }).sagaId;
}

interface SagaView {
  snapshot: {
    status: string;
    steps: Record<string, { lastError: { code: string } | null }>;
    pending: Record<string, { step: string; attempt: number; compensation: boolean }>;
  };
  history: { eventType: string; applied: boolean; note: string }[];
}

async function settled(s: RunningSystem, sagaId: string, timeoutMs = 30_000): Promise<SagaView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const saga = (await (
      await fetch(`${s.urls.orchestrator}/sagas/${sagaId}`, readAuth)
    ).json()) as SagaView;
    if (["completed", "compensated", "failed", "needs-intervention"].includes(saga.snapshot.status))
      return saga;
    if (Date.now() > deadline) throw new Error(`saga ${sagaId} still ${saga.snapshot.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const get = async <T>(url: string): Promise<{ status: number; body: T }> => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
};

const orderInput = (customerId: string, totalCents: number) => ({
  customerId,
  items: [{ sku: "book", quantity: 1, unitPriceCents: totalCents }],
  totalCents,
});

describe("create-order and cancel-order end to end", () => {
  it("approves an order and reserves its credit (happy path)", async () => {
    const s = shared;
    const customer = await openCustomer(s, 50_000);
    const before = (await get<Account>(`${s.urls.account}/accounts/${customer}`)).body;
    const sagaId = await startSaga(s, "create-order", orderInput(customer, 12_345));
    expect((await settled(s, sagaId)).snapshot.status).toBe("completed");
    const order = await get<{ status: string; totalCents: number }>(
      `${s.urls.order}/orders/${sagaId}`,
    );
    expect(order.body).toMatchObject({ status: "APPROVED", totalCents: 12_345 });
    const after = (await get<Account>(`${s.urls.account}/accounts/${customer}`)).body;
    expect(after.availableCents).toBe(before.availableCents - 12_345);
    expect(after.reservations).toContainEqual(
      expect.objectContaining({ orderId: sagaId, amountCents: 12_345 }),
    );
  });

  it("rejects an order over the credit limit and leaves no credit reserved", async () => {
    const s = shared;
    const customer = await openCustomer(s, 25_000);
    const sagaId = await startSaga(s, "create-order", orderInput(customer, 99_999));
    expect((await settled(s, sagaId)).snapshot.status).toBe("compensated");
    expect((await get<{ status: string }>(`${s.urls.order}/orders/${sagaId}`)).body.status).toBe(
      "REJECTED",
    );
    const account = (await get<Account>(`${s.urls.account}/accounts/${customer}`)).body;
    expect(account.reservedCents).toBe(0);
    expect(account.availableCents).toBe(account.creditLimitCents);
  });

  it("fails an unknown customer without creating anything", async () => {
    const s = shared;
    const sagaId = await startSaga(s, "create-order", orderInput("cust-nobody", 100));
    const saga = await settled(s, sagaId);
    expect(saga.snapshot.status).toBe("failed");
    expect((await get(`${s.urls.order}/orders/${sagaId}`)).status).toBe(404);
  });

  it("cancels an approved order: its credit is released and it ends CANCELLED", async () => {
    const s = shared;
    const customer = await openCustomer(s, 50_000);
    const orderId = await startSaga(s, "create-order", orderInput(customer, 5_000));
    expect((await settled(s, orderId)).snapshot.status).toBe("completed");
    const reserved = (await get<Account>(`${s.urls.account}/accounts/${customer}`)).body
      .reservedCents;
    const cancelId = await startSaga(s, "cancel-order", { orderId, reason: "changed my mind" });
    expect((await settled(s, cancelId)).snapshot.status).toBe("completed");
    expect((await get<{ status: string }>(`${s.urls.order}/orders/${orderId}`)).body.status).toBe(
      "CANCELLED",
    );
    expect((await get<Account>(`${s.urls.account}/accounts/${customer}`)).body.reservedCents).toBe(
      reserved - 5_000,
    );
  });
});

describe("anomalies", () => {
  it("a compensation never releases another saga's reservation", async () => {
    const s = shared;
    const customer = await openCustomer(s, 50_000);
    // Saga A completes: its order is approved and its credit stays reserved.
    const owner = await startSaga(s, "create-order", orderInput(customer, 3_000));
    expect((await settled(s, owner)).snapshot.status).toBe("completed");
    const before = (await get<Account>(`${s.urls.account}/accounts/${customer}`)).body;
    expect(before.reservations).toContainEqual(
      expect.objectContaining({ orderId: owner, amountCents: 3_000, status: "RESERVED" }),
    );
    // Saga B names A's order (a definition mapping the wrong order id, or a reused one). Its
    // reserve is confirmed as a replay of the same reservation; then B compensates it. Both are
    // sent exactly as the orchestrator sends them.
    const intruder = crypto.randomUUID();
    const queue = (
      await s.clients.sqs.send(
        new GetQueueUrlCommand({ QueueName: commandQueueName(s.prefix, "account") }),
      )
    ).QueueUrl as string;
    const fromB = (name: string, compensation: boolean) => {
      const command = {
        name,
        sagaId: intruder,
        sagaName: "create-order",
        sagaVersion: 1,
        step: "reserve-credit",
        attempt: 1,
        replyTo: replyQueueName(s.prefix),
        payload: { customerId: customer, orderId: owner, amountCents: 3_000 },
      };
      const actionKey = `${intruder}:reserve-credit`;
      return asOrchestrator(
        compensation
          ? {
              ...command,
              compensation: true,
              idempotencyKey: `${actionKey}:compensation`,
              actionKey,
            }
          : { ...command, compensation: false, idempotencyKey: actionKey },
      );
    };
    const answer = async (command: string) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const row = (await s.databases.account
          .knex("participant_inbox")
          .where({ saga_id: intruder, command, status: "replied" })
          .first("reply_name")) as { reply_name: string } | undefined;
        if (row || Date.now() > deadline) return row?.reply_name;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await sendToQueue(s.clients.sqs, queue, [envelopeMessage(fromB("ReserveCredit", false))]);
    expect(await answer("ReserveCredit")).toBe("CreditReserved");
    await sendToQueue(s.clients.sqs, queue, [envelopeMessage(fromB("ReleaseCredit", true))]);
    const answered = await answer("ReleaseCredit");
    // B is told there is nothing of its own to release, and A's credit has not moved.
    expect(answered).toBe("CreditReservationNotFound");
    expect((await get<Account>(`${s.urls.account}/accounts/${customer}`)).body).toEqual(before);
  });

  it("a duplicate command has no second effect", async () => {
    const s = shared;
    const customer = await openCustomer(s, 50_000);
    const sagaId = await startSaga(s, "create-order", orderInput(customer, 700));
    await settled(s, sagaId);
    const before = (await get<Account>(`${s.urls.account}/accounts/${customer}`)).body;
    const queue = (
      await s.clients.sqs.send(
        new GetQueueUrlCommand({ QueueName: commandQueueName(s.prefix, "account") }),
      )
    ).QueueUrl as string;
    // Signed as the orchestrator signs (the system runs with the development key).
    const duplicate = asOrchestrator(
      reserveCreditCommand(sagaId, s.prefix, {
        customerId: customer,
        orderId: sagaId,
        amountCents: 700,
      }),
    );
    const duplicatesBefore = s.orchestrator.runtime.metrics.duplicates;
    await sendToQueue(s.clients.sqs, queue, [
      envelopeMessage(duplicate),
      envelopeMessage(duplicate),
    ]);
    const deadline = Date.now() + 15_000;
    let ignored = 0;
    while (
      (ignored < 1 || s.orchestrator.runtime.metrics.duplicates <= duplicatesBefore) &&
      Date.now() < deadline
    ) {
      const saga = (await (
        await fetch(`${s.urls.orchestrator}/sagas/${sagaId}`, readAuth)
      ).json()) as SagaView;
      ignored = saga.history.filter((h) => h.eventType === "reply" && !h.applied).length;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Both copies were answered from the inbox, as one message (the reply's id derives from
    // the command's): the orchestrator recorded it once as a late reply and dropped the copy …
    expect(ignored).toBe(1);
    expect(s.orchestrator.runtime.metrics.duplicates).toBeGreaterThan(duplicatesBefore);
    // … and the account did not move.
    expect((await get<Account>(`${s.urls.account}/accounts/${customer}`)).body).toEqual(before);
  });

  // The flat layout: a release an orchestrator of an earlier release left in the queue (issue 8);
  // the decoder derives its actionKey, and its signature still verifies.
  it.each([
    ["", asOrchestrator],
    [" (in an earlier release's layout)", asEarlierOrchestrator],
  ])(
    "a release that arrives before its reserve leaves a guard, and the late reserve is refused%s",
    async (_layout, compensationSender) => {
      const s = shared;
      const customer = await openCustomer(s, 50_000);
      const queue = (
        await s.clients.sqs.send(
          new GetQueueUrlCommand({ QueueName: commandQueueName(s.prefix, "account") }),
        )
      ).QueueUrl as string;
      const sagaId = crypto.randomUUID();
      const orderId = crypto.randomUUID();
      const base = {
        sagaId,
        sagaName: "reserve-with-release",
        sagaVersion: 1,
        step: "reserve-credit",
        attempt: 1,
        replyTo: replyQueueName(s.prefix),
      };
      const payload = { customerId: customer, orderId, amountCents: 4_000 };
      const before = (await get<Account>(`${s.urls.account}/accounts/${customer}`)).body;
      const refusedBefore = s.services.account.participant.stats.refusedByGuard;
      await sendToQueue(s.clients.sqs, queue, [
        envelopeMessage(
          compensationSender({
            ...base,
            name: "ReleaseCredit",
            compensation: true,
            idempotencyKey: `${sagaId}:reserve-credit:compensation`,
            actionKey: `${sagaId}:reserve-credit`,
            payload,
          }),
        ),
      ]);
      const deadline = Date.now() + 15_000;
      while (
        Date.now() < deadline &&
        (await s.databases.account.knex("participant_inbox").where({ saga_id: sagaId })).length < 2
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await sendToQueue(s.clients.sqs, queue, [
        envelopeMessage(
          asOrchestrator({
            ...base,
            name: "ReserveCredit",
            compensation: false,
            idempotencyKey: `${sagaId}:reserve-credit`,
            payload,
          }),
        ),
      ]);
      const stillDeadline = Date.now() + 15_000;
      while (
        Date.now() < stillDeadline &&
        s.services.account.participant.stats.refusedByGuard === refusedBefore
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(s.services.account.participant.stats.refusedByGuard).toBe(refusedBefore + 1);
      const after = (await get<Account>(`${s.urls.account}/accounts/${customer}`)).body;
      expect(after.reservations.find((r) => r.orderId === orderId)).toBeUndefined();
      expect(after.availableCents).toBe(before.availableCents);
    },
  );

  it("runs a handler that answered failed() again on the operator's retry, and the saga completes", async () => {
    const definition = JSON.parse(
      readFileSync(join(sagaDefinitionsDir, "create-order.saga.json"), "utf8"),
    ) as { steps: { name: string; retry?: Record<string, unknown> }[] };
    const reserve = definition.steps.find((step) => step.name === "reserve-credit");
    if (!reserve) throw new Error("create-order has no reserve-credit step");
    // A missing account is retriable here: the account service answers failed(ACCOUNT_NOT_FOUND).
    reserve.retry = { maxAttempts: 2, nonRetryable: [], initialDelay: "100ms", jitter: "none" };
    const s = await system("failed then retried", [
      compileSagaOrThrow(definition, { contracts: serviceContracts }),
    ]);
    const customer = await openCustomer(s, 5_000, { account: false });
    const post = async (url: string, body: unknown) => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${s.serviceToken}` },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.clone().text()).toBe(201);
    };
    // No account yet: both attempts of the pivot answer failed() and the saga parks.
    const sagaId = await startSaga(s, "create-order", orderInput(customer, 300));
    const parked = await settled(s, sagaId);
    expect(parked.snapshot.status).toBe("needs-intervention");
    expect(parked.snapshot.steps["reserve-credit"]?.lastError?.code).toBe("ACCOUNT_NOT_FOUND");
    // The account is opened; the operator retries: the handler runs again (it is not answered
    // from the inbox with the stored failure) and reserves the credit.
    await post(`${s.urls.account}/accounts`, { customerId: customer, creditLimitCents: 5_000 });
    const pending = activeWork(parked.snapshot);
    const retried = await fetch(`${s.urls.orchestrator}/sagas/${sagaId}/retry`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        actor: "ops@example.com",
        reason: "account opened",
        expected: { step: pending?.step, attempt: pending?.attempt, compensation: false },
      }),
    });
    expect(retried.status, await retried.clone().text()).toBe(200);
    expect((await settled(s, sagaId)).snapshot.status).toBe("completed");
    const account = (await get<Account>(`${s.urls.account}/accounts/${customer}`)).body;
    expect(account.reservations.filter((r) => r.orderId === sagaId)).toHaveLength(1);
  });

  it("records and ignores a reply that arrives after its step timed out", async () => {
    const definition = JSON.parse(
      readFileSync(join(sagaDefinitionsDir, "create-order.saga.json"), "utf8"),
    ) as {
      name: string;
      steps: { name: string; timeout?: string; retry?: Record<string, unknown> }[];
    };
    definition.name = "create-order";
    const reserve = definition.steps.find((step) => step.name === "reserve-credit");
    if (!reserve) throw new Error("create-order has no reserve-credit step");
    reserve.timeout = "1s";
    reserve.retry = { ...reserve.retry, initialDelay: "100ms", jitter: "none" };
    const quick = compileSagaOrThrow(definition, { contracts: serviceContracts });
    // Step by step: a chain would wait on create-order for the three steps' timeouts together.
    const s = await system("late reply", [quick], { chainSteps: false });
    // The account service is down: ReserveCredit waits in its queue past the 1 s timeout.
    await s.services.account.participant.stop();
    const sagaId = await startSaga(s, "create-order", orderInput("cust-ada", 300));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const saga = (await (
        await fetch(`${s.urls.orchestrator}/sagas/${sagaId}`, readAuth)
      ).json()) as SagaView;
      if (saga.history.some((h) => h.eventType === "retry-timer")) break;
      if (Date.now() > deadline) throw new Error("the step never timed out");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Back up: it answers attempt 1 (late) and attempt 2 from the same inbox row.
    s.services.account.participant.start();
    expect((await settled(s, sagaId)).snapshot.status).toBe("completed");
    // The two answers race; whichever comes second is the one recorded and ignored, while the
    // saga still runs (late or duplicate) or after it completed, when the other answer and the
    // step after it were quicker.
    let late: SagaView["history"] = [];
    const lateDeadline = Date.now() + 15_000;
    while (late.length === 0 && Date.now() < lateDeadline) {
      const saga = (await (
        await fetch(`${s.urls.orchestrator}/sagas/${sagaId}`, readAuth)
      ).json()) as SagaView;
      late = saga.history.filter((h) => h.eventType === "reply" && !h.applied);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(late.length).toBe(1);
    expect(late[0]?.note).toMatch(
      /reply CreditReserved for reserve-credit attempt [12] ignored( \(late or duplicate\)|: the saga is completed)/,
    );
    const account = (await get<Account>(`${s.urls.account}/accounts/cust-ada`)).body;
    expect(account.reservations.filter((r) => r.orderId === sagaId)).toHaveLength(1);
  });
});

describe("concurrency", () => {
  it("200 concurrent orders for one customer never overdraw it, and money is conserved", {
    timeout: 240_000,
  }, async () => {
    const s = shared;
    const limit = 25_000;
    const customer = await openCustomer(s, limit);
    const amounts = Array.from({ length: 200 }, (_, i) => 100 + ((i * 37) % 400));
    const ids = await Promise.all(
      amounts.map((amount) => startSaga(s, "create-order", orderInput(customer, amount))),
    );
    const outcomes = await Promise.all(ids.map((id) => settled(s, id, 200_000)));
    const statuses = outcomes.map((o) => o.snapshot.status);
    expect(new Set(statuses)).toEqual(new Set(["completed", "compensated"]));
    const account = (await get<Account>(`${s.urls.account}/accounts/${customer}`)).body;
    expect(account.availableCents).toBeGreaterThanOrEqual(0);
    expect(account.creditLimitCents).toBe(limit);
    expect(account.availableCents + account.reservedCents + account.spentCents).toBe(limit);
    const approved = ids.filter((_, i) => statuses[i] === "completed");
    const approvedTotal = amounts
      .filter((_, i) => statuses[i] === "completed")
      .reduce((a, b) => a + b, 0);
    expect(account.reservedCents).toBe(approvedTotal);
    for (const [i, id] of ids.entries()) {
      const order = (await get<{ status: string }>(`${s.urls.order}/orders/${id}`)).body;
      expect(order.status).toBe(statuses[i] === "completed" ? "APPROVED" : "REJECTED");
    }
    expect(approved.length).toBeGreaterThan(0);
    expect(approved.length).toBeLessThan(200);
  });
});

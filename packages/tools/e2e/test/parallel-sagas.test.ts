// End to end: split-order's parallel group through the orchestrator and the real order and
// account services, over real HTTP, the SQS/SNS endpoint over HTTP, and Postgres. Where the test
// needs one branch's command to stay in flight, it stops the account service's consumer and
// takes the commands off its queue itself, then hands them back one at a time: the order of
// events is then the test's, not the scheduler's. After every case money and reservations are
// conserved: no share is left held for an order that did not go through, and none twice.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { serviceContracts } from "@sagaworks/contracts";
import { compileSagaOrThrow } from "@sagaworks/saga-definition";
import { sagaDefinitionsDir } from "@sagaworks/saga-definitions";
import type { RunningSystem } from "@sagaworks/system";
import { openCustomer, startTestSystem, stopSystemAndDropSchemas } from "@sagaworks/system/testing";
import { commandQueueName } from "@sagaworks/topology";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expectHolds, post, readAccount, until } from "./e2e.fixtures.ts";

const API_TOKEN = "e2e-token-0123456789";
const readAuth = { headers: { authorization: `Bearer ${API_TOKEN}` } };

// biome-ignore lint/suspicious/noExplicitAny: the test edits the authored JSON freely
type Json = any;
const splitOrderJson = (): Json =>
  JSON.parse(readFileSync(join(sagaDefinitionsDir, "split-order.saga.json"), "utf8"));

/**
 * split-order with the order's creation moved into the group as a third branch whose
 * compensation gives up after two quick attempts: the case of a compensation exhausted in one
 * branch while the others finish theirs.
 */
function threeBranches() {
  const definition = splitOrderJson();
  definition.name = "split-order-three";
  const [createOrder, group, approve] = definition.steps;
  createOrder.compensation.retry = { maxAttempts: 2, initialDelay: "100ms", jitter: "none" };
  createOrder.compensation.timeout = "1s";
  for (const branch of group.branches) {
    // A branch may not read its sibling: the shares are reserved under the saga id instead.
    const share = branch.steps[0];
    if (share.payload.orderId.startsWith("$.steps.")) {
      share.payload.orderId = "$.sagaId";
      share.compensation.payload.orderId = "$.sagaId";
    }
  }
  group.branches.unshift({ name: "order", steps: [createOrder] });
  definition.steps = [group, approve];
  return compileSagaOrThrow(definition, { contracts: serviceContracts });
}

let s: RunningSystem;
beforeAll(async () => {
  s = await startTestSystem("parallel sagas", {
    awsEndpoint: inject("brokerEndpoint"),
    apiToken: API_TOKEN,
    serviceToken: "e2e-service-token-0123456789",
    definitions: [
      compileSagaOrThrow(splitOrderJson(), { contracts: serviceContracts }),
      threeBranches(),
    ],
  });
}, 180_000);
afterAll(async () => {
  if (s) await stopSystemAndDropSchemas(s);
});

interface SagaView {
  snapshot: {
    status: string;
    state: string;
    steps: Record<string, { status: string; lastError: { code: string } | null }>;
    pending: Record<
      string,
      { step: string; attempt: number; compensation: boolean; waitingFor: string }
    >;
  };
  history: { eventType: string; applied: boolean; note: string }[];
}

const account = (id: string) => readAccount(s, id);
const view = async (sagaId: string) =>
  (await (await fetch(`${s.urls.orchestrator}/sagas/${sagaId}`, readAuth)).json()) as SagaView;

async function settled(
  sagaId: string,
  statuses = ["completed", "compensated", "failed", "needs-intervention"],
) {
  return until(`saga ${sagaId} to settle`, async () => {
    const saga = await view(sagaId);
    return statuses.includes(saga.snapshot.status) ? saga : undefined;
  });
}

async function startSplitOrder(
  name: string,
  payer: string,
  coPayer: string,
  payerCents: number,
  coPayerCents: number,
): Promise<{ sagaId: string; shareId: string }> {
  const shareId = `share-${crypto.randomUUID()}`;
  const response = await post(
    `${s.urls.orchestrator}/sagas/${name}`,
    {
      input: {
        customerId: payer,
        coPayerId: coPayer,
        coPayerReservationId: shareId,
        items: [{ sku: "book", quantity: 1, unitPriceCents: payerCents + coPayerCents }],
        totalCents: payerCents + coPayerCents,
        payerCents,
        coPayerCents,
      },
    },
    s.apiToken,
  );
  expect(response.status, await response.clone().text()).toBe(201);
  return { sagaId: ((await response.json()) as { sagaId: string }).sagaId, shareId };
}

async function queueUrl(service: "account" | "order"): Promise<string> {
  const found = await s.clients.sqs.send(
    new GetQueueUrlCommand({ QueueName: commandQueueName(s.prefix, service) }),
  );
  return found.QueueUrl as string;
}

/** Takes `count` commands of one saga off a (stopped) service's queue, by step, and holds them. */
async function takeCommands(
  service: "account" | "order",
  sagaId: string,
  count: number,
): Promise<Map<string, Message>> {
  const url = await queueUrl(service);
  const held = new Map<string, Message>();
  await until(`${count} commands of ${sagaId} on the ${service} queue`, async () => {
    const received = await s.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 600,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    for (const message of received.Messages ?? []) {
      const body = JSON.parse(message.Body ?? "{}") as { sagaId?: string; step?: string };
      if (body.sagaId === sagaId && body.step) held.set(body.step, message);
    }
    return held.size >= count ? held : undefined;
  });
  return held;
}

/** Puts a held command back on its queue, exactly as the orchestrator sent it. */
async function deliver(service: "account" | "order", message: Message): Promise<void> {
  await s.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: await queueUrl(service),
      MessageBody: message.Body,
      MessageAttributes: message.MessageAttributes,
    }),
  );
}

/** Each account's money adds up, and it holds exactly the reservations listed (released ones aside). */
const PAYER = "reserve-payer-share";
const CO_PAYER = "reserve-co-payer-share";

describe("split-order end to end (a parallel group)", () => {
  it("holds both shares and approves the order; a duplicate command to a branch step is answered again, as the same message, which is dropped", async () => {
    const payer = await openCustomer(s, 10_000);
    const coPayer = await openCustomer(s, 10_000);
    await s.services.account.participant.stop();
    const { sagaId, shareId } = await startSplitOrder("split-order", payer, coPayer, 3_000, 2_000);
    const held = await takeCommands("account", sagaId, 2);
    const before = await view(sagaId);
    expect(before.snapshot.state).toBe("fork:reserve-shares");
    expect(Object.keys(before.snapshot.pending).sort()).toEqual([CO_PAYER, PAYER]);
    // Each command twice: the second is answered from the participant's inbox.
    const duplicatesBefore = s.orchestrator.runtime.metrics.duplicates;
    for (const message of held.values()) {
      await deliver("account", message);
      await deliver("account", message);
    }
    s.services.account.participant.start();
    expect((await settled(sagaId)).snapshot.status).toBe("completed");
    // The second answer to each command is the same message as the first (a reply's id derives
    // from its command's): the orchestrator's inbox drops it, and no late reply is recorded.
    await until("the duplicate answers to be dropped", async () =>
      s.orchestrator.runtime.metrics.duplicates >= duplicatesBefore + 2 ? true : undefined,
    );
    expect(
      (await view(sagaId)).history.filter((h) => h.eventType === "reply" && !h.applied),
    ).toEqual([]);
    const order = (await (await fetch(`${s.urls.order}/orders/${sagaId}`)).json()) as {
      status: string;
    };
    expect(order.status).toBe("APPROVED");
    await expectHolds(s, payer, [[sagaId, 3_000]]);
    await expectHolds(s, coPayer, [[shareId, 2_000]]);
  });

  it("one share refused while the other is in flight: the other is released before its reservation arrives, which is then refused", async () => {
    const payer = await openCustomer(s, 1_000);
    const coPayer = await openCustomer(s, 10_000);
    await s.services.account.participant.stop();
    const { sagaId, shareId } = await startSplitOrder("split-order", payer, coPayer, 3_000, 2_000);
    const held = await takeCommands("account", sagaId, 2);
    const refusedBefore = s.services.account.participant.stats.refusedByGuard;
    // Only the payer's share reaches the account service: it is refused (over the limit).
    await deliver("account", held.get(PAYER) as Message);
    s.services.account.participant.start();
    const saga = await settled(sagaId);
    expect(saga.snapshot.status).toBe("compensated");
    expect(saga.history.map((h) => h.note).join("\n")).toContain(
      `${CO_PAYER} stopped at attempt 1 (branch "payer" failed)`,
    );
    expect(saga.snapshot.steps[CO_PAYER]?.status).toBe("compensated");
    // Now the co-payer's reservation arrives, after its release: the guard refuses it.
    await deliver("account", held.get(CO_PAYER) as Message);
    await until("the late reservation to be refused", async () =>
      s.services.account.participant.stats.refusedByGuard > refusedBefore ? true : undefined,
    );
    const order = (await (await fetch(`${s.urls.order}/orders/${sagaId}`)).json()) as {
      status: string;
    };
    expect(order.status).toBe("REJECTED");
    expect((await view(sagaId)).snapshot.status).toBe("compensated");
    await expectHolds(s, payer, []);
    await expectHolds(s, coPayer, []);
    // Nothing was ever held under the co-payer's share id.
    expect((await account(coPayer)).reservations.some((r) => r.orderId === shareId)).toBe(false);
  });

  it("both shares refused at once: the saga ends compensated and nothing is held", async () => {
    const payer = await openCustomer(s, 1_000);
    const coPayer = await openCustomer(s, 1_000);
    const { sagaId } = await startSplitOrder("split-order", payer, coPayer, 3_000, 2_000);
    const saga = await settled(sagaId);
    expect(saga.snapshot.status).toBe("compensated");
    expect(saga.snapshot.steps["create-order"]?.status).toBe("compensated");
    await expectHolds(s, payer, []);
    await expectHolds(s, coPayer, []);
  });

  it("one share held, the other refused: the held one is released", async () => {
    const payer = await openCustomer(s, 10_000);
    const coPayer = await openCustomer(s, 1_000);
    await s.services.account.participant.stop();
    const { sagaId } = await startSplitOrder("split-order", payer, coPayer, 3_000, 2_000);
    const held = await takeCommands("account", sagaId, 2);
    s.services.account.participant.start();
    await deliver("account", held.get(PAYER) as Message);
    await until("the payer's share to be held", async () =>
      (await view(sagaId)).snapshot.steps[PAYER]?.status === "succeeded" ? true : undefined,
    );
    await expectHolds(s, payer, [[sagaId, 3_000]]);
    await deliver("account", held.get(CO_PAYER) as Message);
    expect((await settled(sagaId)).snapshot.status).toBe("compensated");
    await expectHolds(s, payer, []);
    await expectHolds(s, coPayer, []);
  });

  it("a compensation exhausted in one branch lets the others finish, then the saga needs an operator, whose retry names the step", async () => {
    const payer = await openCustomer(s, 10_000);
    const coPayer = await openCustomer(s, 1_000);
    // The order service is down: CreateOrder and then its compensation wait in its queue.
    await s.services.order.participant.stop();
    try {
      const { sagaId } = await startSplitOrder("split-order-three", payer, coPayer, 3_000, 2_000);
      const parked = await settled(sagaId);
      expect(parked.snapshot.status).toBe("needs-intervention");
      // The payer's share was released before the saga stopped for the operator.
      await expectHolds(s, payer, []);
      expect(parked.snapshot.pending).toEqual({
        "create-order": expect.objectContaining({
          compensation: true,
          attempt: 2,
          waitingFor: "operator",
        }),
      });
      // An action naming a step the saga does not wait on is refused.
      const wrong = await post(
        `${s.urls.orchestrator}/sagas/${sagaId}/retry`,
        {
          actor: "ops@example.com",
          reason: "order service back",
          expected: { step: PAYER, attempt: 1, compensation: false },
        },
        s.apiToken,
      );
      expect(wrong.status).toBe(409);
      s.services.order.participant.start();
      const retried = await post(
        `${s.urls.orchestrator}/sagas/${sagaId}/retry`,
        {
          actor: "ops@example.com",
          reason: "order service back",
          expected: { step: "create-order", attempt: 2, compensation: true },
        },
        s.apiToken,
      );
      expect(retried.status, await retried.clone().text()).toBe(200);
      expect((await settled(sagaId, ["compensated", "failed"])).snapshot.status).toBe(
        "compensated",
      );
      const order = await fetch(`${s.urls.order}/orders/${sagaId}`);
      // Created late and then rejected, or refused by the guard: never left pending.
      if (order.status === 200)
        expect(((await order.json()) as { status: string }).status).toBe("REJECTED");
      else expect(order.status).toBe(404);
      await expectHolds(s, payer, []);
      await expectHolds(s, coPayer, []);
    } finally {
      s.services.order.participant.start();
    }
  });
});

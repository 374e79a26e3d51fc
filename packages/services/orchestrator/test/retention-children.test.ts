// Retention and sub-sagas on real Postgres: a finished child saga is kept, however old, while
// its parent has not ended, since a parent that compensates later asks the child to compensate
// and must find it. Once the parent has ended (or is gone), the child goes like any saga.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceContracts } from "@sagaworks/contracts";
import { type CompiledSaga, catalogOf, compileSagaOrThrow } from "@sagaworks/saga-definition";
import { afterAll, describe, expect, it } from "vitest";
import { FolderArchive } from "../src/index.ts";
import { childStartKey } from "../src/sub-sagas/child-key.ts";
import { orchestratorForFile, shippedDefinitions } from "./harness.ts";

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse("2026-03-01T00:00:00.000Z");
let now = new Date(T0);
let folder: string;
let holdCredit: CompiledSaga;
let parent: CompiledSaga;
let grand: CompiledSaga;

afterAll(() => rm(folder, { recursive: true, force: true }));
const file = orchestratorForFile(
  "retention children",
  async () => {
    folder = await mkdtemp(join(tmpdir(), "saga-archive-"));
    holdCredit = (await shippedDefinitions()).find(
      (saga) => saga.name === "hold-credit",
    ) as CompiledSaga;
    parent = compileSagaOrThrow(
      {
        name: "holds-by-child",
        version: 1,
        description: "holds credit through a child saga",
        input: {
          type: "object",
          properties: { customerId: { type: "string", minLength: 1 } },
          required: ["customerId"],
        },
        steps: [
          {
            name: "hold",
            kind: "saga",
            saga: { name: "hold-credit", version: 1 },
            input: { customerId: "$.input.customerId", reference: "$.sagaId", amountCents: 100 },
            deadline: "30m",
            compensation: "child",
          },
        ],
      },
      { contracts: serviceContracts, sagas: catalogOf([holdCredit]) },
    );
    // Three levels: a saga whose child has a child of its own.
    grand = compileSagaOrThrow(
      {
        name: "holds-by-grandchild",
        version: 1,
        description: "holds credit through a child that holds it through its own child",
        input: parent.input,
        steps: [
          {
            name: "delegate",
            kind: "saga",
            saga: { name: parent.name, version: 1 },
            input: { customerId: "$.input.customerId" },
            deadline: "30m",
            compensation: "child",
          },
        ],
      },
      { contracts: serviceContracts, sagas: catalogOf([holdCredit, parent]) },
    );
    // Built, not started: the test plays the sagas queue and the relay, and runs the pruner.
    return {
      definitions: [holdCredit, parent, grand],
      clock: () => now,
      retention: { archive: new FolderArchive(folder), retentionMs: 30 * DAY, batchSize: 50 },
    };
  },
  { start: false },
);

const knex = () => file.env.db.knex;
const statusOf = async (sagaId: string) =>
  ((await knex()("saga_instances").where({ id: sagaId }).first("status")) as { status: string })
    ?.status;
/** The relay sent everything the saga wrote. */
const relaySent = (sagaId: string) => knex()("saga_outbox").where({ saga_id: sagaId }).delete();

/** The newest message the saga wrote to its outbox, as sent. */
async function lastSent(sagaId: string) {
  const [row] = await knex()("saga_outbox")
    .where({ saga_id: sagaId, kind: "sqs" })
    .orderBy("id", "desc")
    .limit(1);
  return JSON.parse(row.message.body) as {
    messageId: string;
    name: string;
    step: string;
    attempt: number;
    compensation: boolean;
    causationId?: string;
    payload: Record<string, unknown>;
  };
}

/** A parent waiting on its child, and that child started as the sagas queue starts it. */
async function family(): Promise<{ parentId: string; childId: string }> {
  const { sagaId: parentId } = await file.orchestrator.runtime.start(parent, { customerId: "c-1" });
  const start = await lastSent(parentId);
  expect(start.name).toBe("StartSaga");
  const { sagaId: childId } = await file.orchestrator.runtime.start(
    holdCredit,
    { customerId: "c-1", reference: parentId, amountCents: 100 },
    {
      idempotencyKey: childStartKey({ sagaId: parentId, step: "hold", attempt: 1 }),
      parent: {
        sagaId: parentId,
        sagaName: parent.name,
        sagaVersion: parent.version,
        step: "hold",
        answer: { attempt: 1, compensation: false, commandId: start.messageId },
      },
    },
  );
  await relaySent(parentId);
  return { parentId, childId };
}

/** Starts `child` as the sagas queue does for `step` of the saga `parentId` runs. */
async function startChild(
  of: { id: string; saga: CompiledSaga; step: string },
  child: CompiledSaga,
  input: Record<string, unknown>,
): Promise<string> {
  const { sagaId } = await file.orchestrator.runtime.start(child, input as never, {
    idempotencyKey: childStartKey({ sagaId: of.id, step: of.step, attempt: 1 }),
    parent: {
      sagaId: of.id,
      sagaName: of.saga.name,
      sagaVersion: of.saga.version,
      step: of.step,
      answer: { attempt: 1, compensation: false, commandId: crypto.randomUUID() },
    },
  });
  return sagaId;
}

/** Ends a saga by hand: how it ended does not matter to the pruner. */
async function endByHand(sagaId: string, status: string): Promise<void> {
  await knex()("saga_instances")
    .where({ id: sagaId })
    .update({ status, revision: knex().raw("revision + 1") });
  await relaySent(sagaId);
}

describe("retention of a child saga", () => {
  it("keeps a finished child past the window while its parent runs, and prunes both once the parent ended", async () => {
    now = new Date(T0);
    const { parentId, childId } = await family();
    // The child fails at once (no such customer): nothing to undo, its answer goes to the parent.
    const outcome = await file.orchestrator.runtime.apply(childId, {
      type: "http-response",
      step: "verify-customer",
      attempt: 1,
      status: 404,
      body: { message: "no such customer" },
    });
    expect(outcome.kind).toBe("applied");
    expect(await statusOf(childId)).toBe("failed");
    const answer = await lastSent(childId);
    expect(answer.name).toBe("SagaFailed");
    await relaySent(childId);

    // Long past the window, the parent still waits (its answer is not delivered yet): a parent
    // that compensates then asks this child, which must still be there.
    now = new Date(T0 + 31 * DAY);
    const early = await file.orchestrator.retention?.pruneOnce();
    expect(early).toMatchObject({ sagas: 0 });
    expect(await statusOf(childId)).toBe("failed");
    expect(await statusOf(parentId)).toBe("running");

    // The answer arrives: the parent ends, and after its own window both go.
    await file.orchestrator.runtime.apply(
      parentId,
      {
        type: "reply",
        step: answer.step,
        attempt: answer.attempt,
        compensation: answer.compensation,
        name: answer.name,
        payload: answer.payload as never,
        ...(answer.causationId ? { causationId: answer.causationId } : {}),
      },
      { dedupeKey: answer.messageId },
    );
    expect(["compensated", "failed"]).toContain(await statusOf(parentId));
    await relaySent(parentId);
    now = new Date(T0 + 62 * DAY);
    const late = await file.orchestrator.retention?.pruneOnce();
    expect(late).toMatchObject({ sagas: 2 });
    expect(await statusOf(childId)).toBeUndefined();
    expect(await statusOf(parentId)).toBeUndefined();
  });

  it("prunes a finished saga with no parent, and a child whose parent was pruned before it", async () => {
    now = new Date(T0 + 100 * DAY);
    const { parentId, childId } = await family();
    // The parent ends first (how does not matter here) and is pruned; the child ends later.
    await knex()("saga_instances")
      .where({ id: parentId })
      .update({ status: "compensated", revision: knex().raw("revision + 1") });
    now = new Date(T0 + 131 * DAY);
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ sagas: 1 });
    expect(await statusOf(parentId)).toBeUndefined();
    await file.orchestrator.runtime.apply(childId, {
      type: "http-response",
      step: "verify-customer",
      attempt: 1,
      status: 404,
      body: {},
    });
    await relaySent(childId);
    now = new Date(T0 + 162 * DAY);
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ sagas: 1 });
    expect(await statusOf(childId)).toBeUndefined();
  });

  it("keeps a finished grandchild and its finished parent while the saga at the top runs", async () => {
    now = new Date(T0 + 200 * DAY);
    const { sagaId: top } = await file.orchestrator.runtime.start(grand, { customerId: "c-1" });
    const middle = await startChild({ id: top, saga: grand, step: "delegate" }, parent, {
      customerId: "c-1",
    });
    const bottom = await startChild({ id: middle, saga: parent, step: "hold" }, holdCredit, {
      customerId: "c-1",
      reference: middle,
      amountCents: 100,
    });
    await relaySent(top);
    // The middle saga completed (it has no pivot): should the top compensate, it asks the middle
    // to undo itself, which asks the bottom one in turn.
    await endByHand(bottom, "completed");
    await endByHand(middle, "completed");
    now = new Date(T0 + 231 * DAY);
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ sagas: 0 });
    expect(await statusOf(bottom)).toBe("completed");
    expect(await statusOf(middle)).toBe("completed");

    await endByHand(top, "completed");
    now = new Date(T0 + 262 * DAY);
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ sagas: 3 });
    for (const sagaId of [top, middle, bottom]) expect(await statusOf(sagaId)).toBeUndefined();
  });
});

// Retention on real Postgres: finished sagas past the window are archived, then pruned in one
// statement that checks they are still finished; unfinished ones stay however old; a crash
// between the archive write and the delete costs a second copy, never a saga; the reply inbox
// keeps every row a redelivery could still need. The orchestrator is built but not started:
// each test runs the pruner by hand, with its own clock.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { serviceContracts } from "@sagaworks/contracts";
import { createCommandEnvelope, envelopeMessage, sendToQueue } from "@sagaworks/messaging";
import { createMetricsRegistry, silentLogger } from "@sagaworks/platform";
import { type CompiledSaga, compileSagaOrThrow } from "@sagaworks/saga-definition";
import {
  createOrderStep,
  rejectOrderCompensation,
  reserveCreditStep,
} from "@sagaworks/saga-definition/testing";
import { commandQueueName, deadLetterQueueName, replyQueueName } from "@sagaworks/topology";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ArchivedRecord,
  FolderArchive,
  type SagaArchive,
  SagaRetention,
} from "../src/index.ts";
import { timersOf } from "../src/store/timers.ts";
import { API_TOKEN, orchestratorForFile } from "./harness.ts";
import { customerIdInput } from "./note-saga.ts";

/** An order step that can be compensated, then a pivot that can fail (no retries). */
const saga: CompiledSaga = compileSagaOrThrow(
  {
    name: "retained-order",
    version: 1,
    description: "a compensatable step, then a pivot that may fail",
    input: customerIdInput,
    steps: [
      createOrderStep({
        compensation: rejectOrderCompensation(),
        retry: { maxAttempts: 1 },
        timeout: "10s",
      }),
      reserveCreditStep({ pivot: true, retry: { maxAttempts: 1 }, timeout: "10s" }, 1),
    ],
  },
  { contracts: serviceContracts },
);

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse("2026-03-01T00:00:00.000Z");
let now = new Date(T0);
let folder: string;
afterAll(() => rm(folder, { recursive: true, force: true }));
const file = orchestratorForFile(
  "retention",
  async () => {
    folder = await mkdtemp(join(tmpdir(), "saga-archive-"));
    return {
      definitions: [saga],
      clock: () => now,
      retention: { archive: new FolderArchive(folder), retentionMs: 30 * DAY, batchSize: 50 },
    };
  },
  { start: false },
);

const knex = () => file.env.db.knex;
const auth = { authorization: `Bearer ${API_TOKEN}` };

/** Answers the saga's newest command with `name`, as its participant would. */
async function answer(sagaId: string, name: string, payload: Record<string, unknown>) {
  const [row] = await knex()("saga_outbox")
    .where({ saga_id: sagaId, kind: "sqs" })
    .orderBy("id", "desc")
    .limit(1);
  const command = JSON.parse(row.message.body) as {
    messageId: string;
    step: string;
    attempt: number;
    compensation: boolean;
  };
  const outcome = await file.orchestrator.runtime.apply(
    sagaId,
    {
      type: "reply",
      step: command.step,
      attempt: command.attempt,
      compensation: command.compensation,
      name,
      payload: { orderId: sagaId, customerId: "c-1", ...payload } as never,
      causationId: command.messageId,
    },
    { dedupeKey: crypto.randomUUID() },
  );
  expect(outcome.kind).toBe("applied");
}

/** A message written at T0 that the relay has not sent yet: it holds its saga back from pruning. */
const unsentMessage = (sagaId: string) =>
  knex()("saga_outbox").insert({
    saga_id: sagaId,
    kind: "sns",
    destination: "arn:aws:sns:us-east-1:000000000000:events",
    message: JSON.stringify({ transport: "sns", body: "{}" }),
    attempts: 0,
    available_at: new Date(T0),
    created_at: new Date(T0),
  });

/** The relay sent everything the saga wrote. */
const relaySent = (sagaId: string) => knex()("saga_outbox").where({ saga_id: sagaId }).delete();

async function statusOf(sagaId: string): Promise<string | undefined> {
  const row = await knex()("saga_instances").where({ id: sagaId }).first("status");
  return row?.status;
}

/** A saga of `customerId` driven at `at` to one of the states retention cares about. */
async function sagaIn(
  state: "running" | "completed" | "compensating" | "compensated" | "parked" | "resolved",
  at: number,
): Promise<string> {
  now = new Date(at);
  const { sagaId } = await file.orchestrator.runtime.start(saga, { customerId: "c-1" });
  if (state === "parked" || state === "resolved") {
    // The pivot's one attempt times out: its outcome is unknown, so the saga is parked.
    await answer(sagaId, "OrderCreated", { status: "PENDING", totalCents: 1 });
    const [timeout] = (await timersOf(knex(), sagaId)).filter(
      (timer) => timer.event.type === "step-timeout" && timer.event.step === "reserve-credit",
    );
    if (!timeout) throw new Error("no pivot timeout armed");
    now = new Date(at + 10_000);
    await file.orchestrator.runtime.apply(sagaId, timeout.event, { timerId: timeout.id });
    expect(await statusOf(sagaId)).toBe("needs-intervention");
    if (state === "resolved") {
      const resolved = await file.orchestrator.api.inject({
        method: "POST",
        url: `/sagas/${sagaId}/resolve`,
        headers: auth,
        payload: { actor: "ops@example.com", reason: "done by hand" },
      });
      expect(resolved.statusCode).toBe(200);
    }
  } else if (state !== "running") {
    await answer(sagaId, "OrderCreated", { status: "PENDING", totalCents: 1 });
    if (state === "completed") {
      await answer(sagaId, "CreditReserved", { amountCents: 1, availableCreditCents: 9 });
    } else {
      await answer(sagaId, "CreditLimitExceeded", { requestedCents: 1, availableCreditCents: 0 });
      if (state === "compensated") await answer(sagaId, "OrderRejected", { status: "REJECTED" });
    }
  }
  expect(await statusOf(sagaId)).toBe(state === "parked" ? "needs-intervention" : state);
  await relaySent(sagaId);
  return sagaId;
}

/** Every archived line in the folder, by object path relative to it. */
async function archived(): Promise<Map<string, ArchivedRecord[]>> {
  const objects = new Map<string, ArchivedRecord[]>();
  const files = (await readdir(folder, { recursive: true }).catch(() => []))
    .filter((name) => name.endsWith(".jsonl"))
    .sort();
  for (const name of files) {
    const text = await readFile(join(folder, name), "utf8");
    objects.set(
      name,
      text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ArchivedRecord),
    );
  }
  return objects;
}

function copiesOf(objects: Map<string, ArchivedRecord[]>, sagaId: string): string[] {
  return [...objects]
    .filter(([, records]) => records.some((record) => record.sagaId === sagaId))
    .map(([name]) => name);
}

async function clearAll(): Promise<void> {
  // Each test starts from empty tables and an empty folder, so counts are its own.
  for (const table of ["saga_history", "saga_timers", "saga_outbox", "saga_inbox"]) {
    await knex()(table).delete();
  }
  await knex()("saga_instances").delete();
  await knex()("saga_archive_batches").delete();
  await knex()("saga_retention_control").update({
    paused: false,
    lease_holder: null,
    lease_until: null,
  });
  await rm(folder, { recursive: true, force: true });
}

describe("finished sagas past retention", () => {
  it("are archived whole (instance, history, definition) and then pruned", async () => {
    await clearAll();
    const finished = {
      completed: await sagaIn("completed", T0),
      compensated: await sagaIn("compensated", T0),
      resolved: await sagaIn("resolved", T0),
    };
    const historyBefore = await knex()("saga_history")
      .where({ saga_id: finished.completed })
      .count<{ count: string }[]>({ count: "*" });
    // Inside the window nothing goes.
    now = new Date(T0 + 29 * DAY);
    const early = await file.orchestrator.retention?.pruneOnce();
    expect(early).toMatchObject({ sagas: 0, archived: 0 });
    expect((await archived()).size).toBe(0);

    now = new Date(T0 + 31 * DAY);
    const run = await file.orchestrator.retention?.pruneOnce();
    expect(run).toMatchObject({ sagas: 3, archived: 3 });
    for (const sagaId of Object.values(finished)) {
      expect(await statusOf(sagaId)).toBeUndefined();
      expect(await knex()("saga_history").where({ saga_id: sagaId })).toEqual([]);
    }
    const objects = await archived();
    expect(objects.size).toBe(1);
    const [records] = [...objects.values()];
    const completed = records?.find((record) => record.sagaId === finished.completed);
    expect(completed?.definition).toEqual({
      name: saga.name,
      version: saga.version,
      hash: saga.hash,
    });
    expect(completed?.instance).toMatchObject({ id: finished.completed, status: "completed" });
    expect(completed?.history).toHaveLength(Number(historyBefore[0]?.count));
    expect(completed?.history.at(-1)).toMatchObject({ status: "completed" });
    expect(records?.map((record) => record.instance.status).sort()).toEqual([
      "compensated",
      "completed",
      "resolved",
    ]);

    // The API (and so `ops sagas show` and the inspector) says where the saga went.
    const gone = await file.orchestrator.api.inject({
      method: "GET",
      url: `/sagas/${finished.completed}`,
      headers: auth,
    });
    expect(gone.statusCode).toBe(410);
    const [objectName] = [...objects.keys()];
    expect(gone.json()).toMatchObject({
      code: "SAGA_ARCHIVED",
      details: { location: join(folder, objectName as string) },
    });
    expect(gone.json().message).toContain(join(folder, objectName as string));
    const unknown = await file.orchestrator.api.inject({
      method: "GET",
      url: `/sagas/${crypto.randomUUID()}`,
      headers: auth,
    });
    expect(unknown.json()).toMatchObject({ code: "SAGA_NOT_FOUND" });

    const metrics = await file.orchestrator.api.inject({ method: "GET", url: "/metrics" });
    expect(metrics.body).toMatch(
      /sagaworks_retention_rows_pruned_total\{table="saga_instances"[^}]*\} 3/,
    );
    expect(metrics.body).toMatch(/sagaworks_retention_sagas_archived_total\{[^}]*\} 3/);
  });

  it("running, compensating and needs-intervention sagas are kept however old", async () => {
    await clearAll();
    const kept = [
      await sagaIn("running", T0),
      await sagaIn("compensating", T0),
      await sagaIn("parked", T0),
    ];
    // A finished saga whose last messages the relay has not sent yet waits for it.
    const unsent = await sagaIn("completed", T0);
    await unsentMessage(unsent);
    now = new Date(T0 + 1000 * DAY);
    const run = await file.orchestrator.retention?.pruneOnce();
    expect(run).toMatchObject({ sagas: 0, archived: 0 });
    expect(await Promise.all(kept.map(statusOf))).toEqual([
      "running",
      "compensating",
      "needs-intervention",
    ]);
    expect(await statusOf(unsent)).toBe("completed");
    expect((await archived()).size).toBe(0);

    await relaySent(unsent);
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ sagas: 1, archived: 1 });
    expect(await statusOf(unsent)).toBeUndefined();
  });

  it("a full window of sagas waiting for the relay does not hold up the ones that finished after", async () => {
    await clearAll();
    const waiting = [await sagaIn("completed", T0), await sagaIn("completed", T0 + 1000)];
    const behind = await sagaIn("completed", T0 + 2000);
    for (const sagaId of waiting) await unsentMessage(sagaId);
    now = new Date(T0 + 31 * DAY);
    // Windows of two: the first holds only the sagas waiting for the relay.
    const pruner = new SagaRetention({
      db: file.env.db,
      logger: silentLogger(),
      archive: new FolderArchive(folder),
      metrics: createMetricsRegistry({ process: "orchestrator" }),
      clock: () => now,
      options: { retentionMs: 30 * DAY, batchSize: 2, batchPauseMs: 1, dutyCycle: 1 },
    });
    expect(await pruner.pruneOnce()).toMatchObject({ sagas: 1, archived: 1 });
    expect(await statusOf(behind)).toBeUndefined();
    expect(await Promise.all(waiting.map(statusOf))).toEqual(["completed", "completed"]);
    await relaySent(waiting[0] as string);
    await relaySent(waiting[1] as string);
    expect(await pruner.pruneOnce()).toMatchObject({ sagas: 2, archived: 2 });
    await pruner.stop();
  });

  // Row locks need two connections; the embedded PGlite has one, where a held transaction holds
  // everything, so this runs on real Postgres (DATABASE_URL), as every replica's database is.
  it.runIf(process.env.DATABASE_URL)(
    "a saga a transaction holds is skipped, not waited for, and pruned on a later run",
    async () => {
      await clearAll();
      const held = await sagaIn("completed", T0);
      const free = await sagaIn("completed", T0);
      now = new Date(T0 + 31 * DAY);
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked: () => void = () => {};
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      // A transition's lock on the instance row, held while the pruner runs.
      const transaction = knex().transaction(async (trx) => {
        await trx("saga_instances").where({ id: held }).forUpdate().first();
        locked();
        await released;
      });
      await isLocked;
      const run = await file.orchestrator.retention?.pruneOnce();
      release();
      await transaction;
      expect(run).toMatchObject({ sagas: 1 });
      expect(await statusOf(held)).toBe("completed");
      expect(await statusOf(free)).toBeUndefined();
      // It was archived with the batch it was read in, and is archived again when it goes.
      expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ sagas: 1 });
      expect(await statusOf(held)).toBeUndefined();
      expect(copiesOf(await archived(), held)).toHaveLength(2);
    },
  );
});

describe("a crash between the archive write and the delete", () => {
  /** A pruner on the same tables whose archive `write` does `first` once, then writes normally. */
  function prunerWith(first: "write-then-crash" | "crash-before-write"): SagaRetention {
    const real = new FolderArchive(folder);
    let calls = 0;
    const archive: SagaArchive = {
      description: real.description,
      async write(name, body) {
        calls++;
        if (calls === 1 && first === "crash-before-write") throw new Error("crash before write");
        const location = await real.write(name, body);
        if (calls === 1) throw new Error("process died after the write");
        return location;
      },
      close() {},
    };
    return new SagaRetention({
      db: file.env.db,
      logger: silentLogger(),
      archive,
      metrics: createMetricsRegistry({ process: "orchestrator" }),
      clock: () => now,
      options: { retentionMs: 30 * DAY },
    });
  }

  it("archives the saga twice at worst, and the index points at the copy whose delete ran", async () => {
    await clearAll();
    const sagaId = await sagaIn("completed", T0);
    now = new Date(T0 + 31 * DAY);
    const pruner = prunerWith("write-then-crash");
    await expect(pruner.pruneOnce()).rejects.toThrow("process died after the write");
    expect(await statusOf(sagaId)).toBe("completed");
    expect(copiesOf(await archived(), sagaId)).toHaveLength(1);
    // A restarted replica waits for the dead one's lease to lapse, then prunes.
    now = new Date(T0 + 31 * DAY + 61_000);
    expect(await pruner.pruneOnce()).toMatchObject({ sagas: 1, archived: 1 });
    expect(await statusOf(sagaId)).toBeUndefined();
    const copies = copiesOf(await archived(), sagaId);
    expect(copies).toHaveLength(2);
    const gone = await file.orchestrator.api.inject({
      method: "GET",
      url: `/sagas/${sagaId}`,
      headers: auth,
    });
    expect(gone.statusCode).toBe(410);
    const { details } = gone.json();
    expect(relative(folder, details.location)).toBe(copies[1]);
    expect(details.locations).toEqual([details.location]);
  });

  it("loses nothing when the write itself fails: the saga stays until a write succeeds", async () => {
    await clearAll();
    const sagaId = await sagaIn("compensated", T0);
    now = new Date(T0 + 31 * DAY);
    const pruner = prunerWith("crash-before-write");
    await expect(pruner.pruneOnce()).rejects.toThrow("crash before write");
    expect(await statusOf(sagaId)).toBe("compensated");
    expect((await archived()).size).toBe(0);
    now = new Date(T0 + 31 * DAY + 61_000);
    expect(await pruner.pruneOnce()).toMatchObject({ sagas: 1, archived: 1 });
    expect(copiesOf(await archived(), sagaId)).toHaveLength(1);
  });
});

describe("the reply inbox", () => {
  it("keeps a reply's row for the whole redelivery window: a duplicate inside it is caught", async () => {
    await clearAll();
    const sagaId = await sagaIn("running", T0);
    const [row] = await knex()("saga_timers").where({ saga_id: sagaId });
    expect(row).toBeDefined();
    const reply = {
      type: "reply" as const,
      step: "create-order",
      attempt: 1,
      compensation: false,
      name: "OrderCreated",
      payload: { orderId: sagaId, customerId: "c-1", status: "PENDING", totalCents: 1 },
    };
    // Delivered once at T0: whatever the engine makes of it, its delivery is recorded.
    now = new Date(T0);
    const first = await file.orchestrator.runtime.apply(sagaId, reply, { dedupeKey: "reply-1" });
    expect(first.kind).not.toBe("duplicate");
    // 18 days on (SQS's 14 plus 4 after a DLQ replay): the row is still there.
    now = new Date(T0 + 18 * DAY + 23 * 60 * 60 * 1000);
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ inboxRows: 0 });
    const again = await file.orchestrator.runtime.apply(sagaId, reply, { dedupeKey: "reply-1" });
    expect(again.kind).toBe("duplicate");
    // Past 21 days it goes.
    now = new Date(T0 + 21 * DAY + 1);
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ inboxRows: 1 });
    expect(await knex()("saga_inbox").where({ message_id: "reply-1" })).toEqual([]);
  });

  it("refuses a window shorter than the oldest reply the orchestrator accepts", () => {
    expect(
      () =>
        new SagaRetention({
          db: file.env.db,
          logger: silentLogger(),
          archive: undefined,
          metrics: createMetricsRegistry({ process: "orchestrator" }),
          options: { inboxRetentionMs: 14 * DAY },
        }),
    ).toThrow(/shorter than the oldest reply the orchestrator accepts/);
  });
});

describe("one replica at a time, and the pause switch", () => {
  it("a second replica finds the lease taken; a pause stops every replica until resumed", async () => {
    await clearAll();
    const sagaId = await sagaIn("completed", T0);
    now = new Date(T0 + 31 * DAY);
    await knex()("saga_retention_control").update({
      lease_holder: "other-replica",
      lease_until: new Date(now.getTime() + 30_000),
    });
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ skipped: "leased" });
    await knex()("saga_retention_control").update({ lease_holder: null, lease_until: null });

    // The switch sits behind the API's bearer token like every other operator route.
    for (const [method, url] of [
      ["GET", "/retention"],
      ["POST", "/retention/pause"],
    ] as const) {
      const refused = await file.orchestrator.api.inject({
        method,
        url,
        ...(method === "POST" ? { payload: { actor: "ops@example.com" } } : {}),
      });
      expect(refused.statusCode, `${method} ${url} without a token`).toBe(401);
    }
    expect((await knex()("saga_retention_control").first("paused"))?.paused).toBe(false);
    const paused = await file.orchestrator.api.inject({
      method: "POST",
      url: "/retention/pause",
      headers: auth,
      payload: { actor: "ops@example.com" },
    });
    expect(paused.json()).toMatchObject({ paused: true, pausedBy: "ops@example.com" });
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ skipped: "paused" });
    expect(await statusOf(sagaId)).toBe("completed");
    const resumed = await file.orchestrator.api.inject({
      method: "POST",
      url: "/retention/resume",
      headers: auth,
      payload: { actor: "ops@example.com" },
    });
    expect(resumed.json()).toMatchObject({ paused: false, pausedBy: null });
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ sagas: 1 });
  });

  it("says in a gauge that an operator paused pruning, apart from a pause by configuration", async () => {
    await clearAll();
    const paused = (by: string, body: string) =>
      body.match(new RegExp(`sagaworks_retention_paused\\{by="${by}"[^}]*\\} (\\d)`))?.[1];
    const scrape = async () =>
      (await file.orchestrator.api.inject({ method: "GET", url: "/metrics" })).body;
    const idle = await scrape();
    expect(paused("operator", idle)).toBe("0");
    expect(paused("configuration", idle)).toBe("0");

    // Through this replica's API: its gauge follows at once.
    const pause = (action: "pause" | "resume") =>
      file.orchestrator.api.inject({
        method: "POST",
        url: `/retention/${action}`,
        headers: auth,
        payload: { actor: "ops@example.com" },
      });
    expect((await pause("pause")).statusCode).toBe(200);
    const during = await scrape();
    expect(paused("operator", during)).toBe("1");
    expect(paused("configuration", during)).toBe("0");
    expect((await pause("resume")).statusCode).toBe(200);
    expect(paused("operator", await scrape())).toBe("0");

    // Through another replica (the shared row written elsewhere): the next run reads it.
    await knex()("saga_retention_control").update({ paused: true, paused_by: "other replica" });
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ skipped: "paused" });
    expect(paused("operator", await scrape())).toBe("1");
    await knex()("saga_retention_control").update({ paused: false, paused_by: null });
    expect(await file.orchestrator.retention?.pruneOnce()).not.toHaveProperty("skipped");
    expect(paused("operator", await scrape())).toBe("0");
  });

  it("reports a pause by configuration on its own series", async () => {
    const registry = createMetricsRegistry({ process: "orchestrator" });
    new SagaRetention({
      db: file.env.db,
      logger: silentLogger(),
      archive: undefined,
      metrics: registry,
      options: { paused: true },
    });
    const body = await registry.metrics();
    expect(body).toMatch(/sagaworks_retention_paused\{by="configuration"[^}]*\} 1/);
    expect(body).toMatch(/sagaworks_retention_paused\{by="operator"[^}]*\} 0/);
  });
});

describe("dead letters of a pruned saga", () => {
  it("are classified archived, with where the saga went, not as an unknown saga", async () => {
    await clearAll();
    const sagaId = await sagaIn("completed", T0);
    now = new Date(T0 + 31 * DAY);
    expect(await file.orchestrator.retention?.pruneOnce()).toMatchObject({ sagas: 1 });
    const [objectName] = [...(await archived()).keys()];
    const location = join(folder, objectName as string);
    const never = crypto.randomUUID();
    const orderDlq = deadLetterQueueName(commandQueueName(file.env.prefix, "order"));
    const { QueueUrl } = await file.env.clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: orderDlq }),
    );
    // Dated by the test's clock: a message the orchestrator's clock finds fresh, not poison.
    const command = (id: string) =>
      envelopeMessage(
        createCommandEnvelope(
          {
            name: "CreateOrder",
            sagaId: id,
            sagaName: saga.name,
            sagaVersion: saga.version,
            step: "create-order",
            attempt: 1,
            compensation: false,
            idempotencyKey: `${id}:create-order`,
            replyTo: replyQueueName(file.env.prefix),
            payload: {},
          },
          () => now,
        ),
      );
    await sendToQueue(file.env.clients.sqs, QueueUrl ?? "", [command(sagaId), command(never)]);

    const read = await file.orchestrator.api.inject({
      method: "GET",
      url: `/dead-letters/${orderDlq}`,
      headers: auth,
    });
    expect(read.statusCode).toBe(200);
    const view = read.json() as {
      verdicts: Record<string, number>;
      groups: {
        verdict: string;
        replayCommand: string | null;
        messages: { sagaId: string; explanation: string; action: string }[];
      }[];
    };
    expect(view.verdicts).toMatchObject({ archived: 1, "unknown-saga": 1 });
    const group = view.groups.find((g) => g.verdict === "archived");
    expect(group?.messages).toHaveLength(1);
    expect(group?.messages[0]?.sagaId).toBe(sagaId);
    expect(group?.messages[0]?.explanation).toContain(
      `finished and was pruned on ${new Date(T0 + 31 * DAY).toISOString()}`,
    );
    expect(group?.messages[0]?.explanation).toContain(`archived in ${location}`);
    // Nothing takes it: never replayed.
    expect(group?.messages[0]?.action).toBe("skip");
    expect(group?.replayCommand).toBeNull();
    const unknown = view.groups.find((g) => g.verdict === "unknown-saga");
    expect(unknown?.messages[0]?.sagaId).toBe(never);
  });
});

// The version-checked commit path under the worst a fleet of replicas can do to it, on real
// Postgres: three runtimes, each with its own instance cache, are all handed every reply, every
// HTTP answer and every due timer of 200 sagas at once; some caches are spoiled with older
// copies of their instances, and one runtime loses the answer of some writes after they
// committed (its caller sees an error and delivers again, as SQS would). Whatever wins each race,
// no transition may be applied twice, the revision must count the writes, and each outbox
// message must be written once.
import { serviceContracts } from "@sagaworks/contracts";
import { OutboxHandOff } from "@sagaworks/messaging";
import { createDatabase, type Database, silentLogger } from "@sagaworks/platform";
import { type CompiledSaga, compileSagaOrThrow } from "@sagaworks/saga-definition";
import { createOrderStep } from "@sagaworks/saga-definition/testing";
import type { SagaEvent } from "@sagaworks/saga-engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Orchestrator, OrchestratorMetrics, SagaRuntime } from "../src/index.ts";
import { DEFAULT_INSTANCE_CACHE_SIZE } from "../src/store/instance-cache.ts";
import type { SagaInstance } from "../src/store/instances.ts";
import { SagaOutboxStore } from "../src/store/outbox.ts";
import { dueTimers } from "../src/store/timers.ts";
import { createTestOrchestrator, type TestEnv, testEnv } from "./harness.ts";
import { customerIdInput } from "./note-saga.ts";

/** A command step that may time out and be retried, then an HTTP step that may time out too. */
const saga: CompiledSaga = compileSagaOrThrow(
  {
    name: "raced-order",
    version: 1,
    description: "a command and an HTTP call, each under a timeout with a retry",
    input: customerIdInput,
    steps: [
      createOrderStep({ readOnly: true, retry: { maxAttempts: 2 }, timeout: "10s" }),
      {
        name: "check-note",
        kind: "http",
        service: "notes",
        request: { method: "GET", path: "/notes/:id", params: { id: "$.sagaId" } },
        outcomes: { success: [200] },
        pivot: true,
        retry: { maxAttempts: 2 },
        timeout: "10s",
      },
    ],
  },
  {
    contracts: {
      ...serviceContracts,
      notes: {
        endpoints: [
          {
            method: "GET",
            path: "/notes/:id",
            responses: { 200: { description: "found", body: z.object({}) } },
          },
        ],
      },
    },
  },
);

const SAGAS = 200;
const T0 = Date.parse("2026-03-01T00:00:00.000Z");
let now = new Date(T0);
let env: TestEnv;
let orchestrator: Orchestrator;
/** The third runtime's own pool and pipe, whose answers are lost now and then. */
let lossyDb: Database;
let runtimes: SagaRuntime[];
let answersLost = 0;

/**
 * A database whose version-checked writes lose their answer every `every`th time: the statement
 * commits, then the caller gets an error, as when the connection drops between the two.
 */
function losingAnswers(db: Database, every: number): Database {
  let writes = 0;
  return {
    ...db,
    statement: (async (name: string, text: string, values: readonly unknown[]) => {
      const result = await db.statement(name, text, values);
      if (name === "saga_write_versioned" && ++writes % every === 0) {
        answersLost++;
        throw Object.assign(new Error("Connection terminated unexpectedly"), { lost: true });
      }
      return result;
    }) as Database["statement"],
  };
}

beforeAll(async () => {
  env = await testEnv("commit races");
  orchestrator = await createTestOrchestrator(env, {
    definitions: [saga],
    clock: () => now,
  });
  // The embedded database lives in this process: a second "pool" would be a second, empty
  // database, so without DATABASE_URL the lossy runtime shares the test's.
  lossyDb = process.env.DATABASE_URL
    ? await createDatabase({
        databaseUrl: process.env.DATABASE_URL,
        schema: env.db.schema,
        pool: { min: 0, max: 2 },
      })
    : env.db;
  const runtime = (db: Database) =>
    new SagaRuntime({
      db,
      definitions: orchestrator.definitions,
      routing: orchestrator.routing,
      logger: silentLogger(),
      clock: () => now,
      random: Math.random,
      metrics: new OrchestratorMetrics(),
      onOutboxWritten: () => {},
      // A hand-off of its own: the rows these runtimes write are sent by the orchestrator's relay.
      handOff: new OutboxHandOff(new SagaOutboxStore(db, async () => {})),
      cacheSize: DEFAULT_INSTANCE_CACHE_SIZE,
    });
  runtimes = [orchestrator.runtime, runtime(env.db), runtime(losingAnswers(lossyDb, 7))];
}, 120_000);
afterAll(async () => {
  await orchestrator?.stop();
  if (lossyDb !== env?.db) await lossyDb?.close();
  await env?.close();
});

/** One thing to hand to every runtime: an event and the options its deliverer would pass. */
interface Work {
  sagaId: string;
  event: SagaEvent;
  options: { dedupeKey?: string; timerId?: string; outboxId?: string };
}

interface OutboxRow {
  id: string;
  saga_id: string;
  kind: string;
  message: { body?: string; step?: string; attempt?: number };
}

/** Every command, HTTP call and due timer not handed out yet. */
async function pendingWork(answered: Set<string>): Promise<Work[]> {
  const rows = (await env.db
    .knex("saga_outbox")
    .whereIn("kind", ["sqs", "http"])
    .orderBy("id")) as OutboxRow[];
  const work: Work[] = [];
  for (const row of rows) {
    const id = String(row.id);
    if (answered.has(id)) continue;
    answered.add(id);
    if (row.kind === "http") {
      work.push({
        sagaId: row.saga_id,
        event: {
          type: "http-response",
          step: row.message.step ?? "",
          attempt: row.message.attempt ?? 0,
          status: 200,
          body: {},
        },
        options: { dedupeKey: `http:${id}`, outboxId: id },
      });
      continue;
    }
    const command = JSON.parse(row.message.body ?? "{}") as {
      messageId: string;
      step: string;
      attempt: number;
      compensation: boolean;
    };
    work.push({
      sagaId: row.saga_id,
      event: {
        type: "reply",
        step: command.step,
        attempt: command.attempt,
        compensation: command.compensation,
        name: "OrderCreated",
        payload: { orderId: row.saga_id, status: "PENDING" },
        causationId: command.messageId,
      },
      options: { dedupeKey: `reply-to-${command.messageId}` },
    });
  }
  for (const timer of await dueTimers(env.db.knex, now, 10_000)) {
    work.push({ sagaId: timer.sagaId, event: timer.event, options: { timerId: timer.id } });
  }
  return work;
}

/** Hands `work` to every runtime at once; a write whose answer was lost is delivered again. */
async function handToAll(work: Work[]): Promise<void> {
  const deliveries = work.flatMap((item) => runtimes.map((runtime) => ({ item, runtime })));
  // Shuffled, so no runtime is always first.
  deliveries.sort(() => Math.random() - 0.5);
  const settled = await Promise.allSettled(
    deliveries.map(({ item, runtime }) => runtime.apply(item.sagaId, item.event, item.options)),
  );
  const again = deliveries.filter((_, index) => settled[index]?.status === "rejected");
  for (const result of settled) {
    if (result.status === "rejected") expect((result.reason as { lost?: boolean }).lost).toBe(true);
  }
  await Promise.all(again.map(({ item, runtime }) => redeliver(runtime, item)));
}

/** Delivers again until an answer arrives (a redelivery may lose its answer too). */
async function redeliver(runtime: SagaRuntime, item: Work): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runtime.apply(item.sagaId, item.event, item.options);
      return;
    } catch (error) {
      if (!(error as { lost?: boolean }).lost || attempt >= 10) throw error;
    }
  }
}

describe("three runtimes racing on every event of 200 sagas", () => {
  it("applies each transition once, counts every write in the revision, writes each message once", async () => {
    const guard = await env.db.knex.raw(
      "select 1 from pg_trigger where tgname = 'saga_revision_guard' and tgrelid = 'saga_instances'::regclass",
    );
    expect(guard.rows).toHaveLength(1);

    const ids: string[] = [];
    for (let i = 0; i < SAGAS; i++) {
      const runtime = runtimes[i % runtimes.length] as SagaRuntime;
      ids.push((await runtime.start(saga, { customerId: `c-${i}` })).sagaId);
    }
    const answered = new Set<string>();
    const older = new Map<string, SagaInstance>();
    for (let round = 0; round < 40; round++) {
      // Spoil some caches with a copy of the instance from an earlier round.
      for (const [index, id] of ids.entries()) {
        const spoiled = runtimes[(index + round) % runtimes.length] as SagaRuntime;
        const old = older.get(id);
        if (old && index % 3 === round % 3) spoiled.cache.set(old);
        const current = runtimes[0]?.cache.get(id);
        if (current && !older.has(id)) older.set(id, current);
      }
      const work = await pendingWork(answered);
      if (work.length === 0) {
        // Nothing to answer: let the step timers and retry delays come due.
        now = new Date(now.getTime() + 11_000);
        const open = await env.db
          .knex("saga_instances")
          .whereNotIn("status", ["completed", "failed", "compensated", "needs-intervention"]);
        if (open.length === 0) break;
        continue;
      }
      await handToAll(work);
      // Every other round, time moves past the step timeouts while answers are still on the way.
      if (round % 2 === 1) now = new Date(now.getTime() + 11_000);
    }
    expect(answersLost).toBeGreaterThan(0);
    // The races happened: stale caches were caught by the revision, copies by the inbox.
    const total = (key: "writeConflicts" | "duplicates") =>
      runtimes.reduce((sum, runtime) => sum + runtime.metrics[key], 0);
    expect(total("writeConflicts")).toBeGreaterThan(0);
    expect(total("duplicates")).toBeGreaterThan(0);

    const instances = (await env.db.knex("saga_instances").select("id", "status", "revision")) as {
      id: string;
      status: string;
      revision: number;
    }[];
    expect(instances).toHaveLength(SAGAS);
    const history = (await env.db
      .knex("saga_history")
      .select("saga_id", "seq", "applied", "event_type", "event")) as {
      saga_id: string;
      seq: number;
      applied: boolean;
      event_type: string;
      event: { step?: string; attempt?: number; compensation?: boolean };
    }[];
    for (const instance of instances) {
      expect(["completed", "failed", "needs-intervention"]).toContain(instance.status);
      const mine = history.filter((entry) => entry.saga_id === instance.id);
      // Every write of this saga wrote one history entry and bumped the revision once.
      expect(instance.revision).toBe(mine.length);
      const applied = mine.filter((entry) => entry.applied);
      // No transition twice: every applied entry has a sequence number of its own ...
      expect(new Set(applied.map((entry) => entry.seq)).size).toBe(applied.length);
      // ... and no answer of one attempt was applied twice.
      const answers = applied
        .filter((entry) => entry.event_type === "reply" || entry.event_type === "http-response")
        .map((entry) => `${entry.event.step}/${entry.event.attempt}/${entry.event.compensation}`);
      expect(new Set(answers).size).toBe(answers.length);
    }
    // Each command and each HTTP call was written once per attempt.
    const outbox = (await env.db
      .knex("saga_outbox")
      .whereIn("kind", ["sqs", "http"])
      .select("saga_id", "kind", "message")) as OutboxRow[];
    const attempts = outbox.map((row) => {
      if (row.kind === "http")
        return `${row.saga_id}/http/${row.message.step}/${row.message.attempt}`;
      const command = JSON.parse(row.message.body ?? "{}") as { step: string; attempt: number };
      return `${row.saga_id}/sqs/${command.step}/${command.attempt}`;
    });
    expect(new Set(attempts).size).toBe(attempts.length);
    // The HTTP calls answered were deleted with the answer that was applied.
    expect(outbox.filter((row) => row.kind === "http")).toHaveLength(0);
  }, 600_000);
});

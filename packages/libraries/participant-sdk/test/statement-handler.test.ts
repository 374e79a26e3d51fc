// The guarantees of both kinds of handler under concurrency and crashes: concurrent copies of
// one command make one business effect and the same reply, a compensation's guard refuses the
// late action, and a connection killed between the business write and the inbox row leaves
// nothing behind (the command then applies once when delivered again).
import {
  createReplyEnvelope,
  devReplyKey,
  type Envelope,
  type ReplyEnvelope,
  verifyEnvelopeSignature,
} from "@sagaworks/messaging";
import type { AwsClients, Migration } from "@sagaworks/platform";
import type { TestDatabase } from "@sagaworks/platform/testing";
import { commandQueueName, replyQueueName } from "@sagaworks/topology";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  COMMAND_FAILED,
  defineHandler,
  defineStatementHandler,
  failedPayloadSql,
  type Participant,
  sql,
} from "../src/index.ts";
import { participantOutboxStore, runReplyStatement } from "../src/participant-store.ts";
import { commandEnvelope, ReplyCollector, waitFor } from "../src/testing/index.ts";
import { participantOn, testBackend } from "./fixtures.ts";

const stampMigrations: Migration[] = [
  {
    name: "0001-create-stamps",
    up: (knex) =>
      knex.schema
        .createTable("stamps", (table) => {
          table.text("id").primary();
          table.integer("count").notNullable();
        })
        .createTable("gates", (table) => {
          table.text("id").primary();
        }),
  },
];

const stampPayload = z.object({ stampId: z.string().min(1) });

interface World {
  clients: AwsClients;
  db: TestDatabase;
  participant: Participant;
  replies: ReplyCollector;
  replyQueue: string;
  /** Resolves the transaction handler's pause, when a test set one. */
  releasePause: () => void;
  /** Set once the transaction handler wrote and is paused before its reply. */
  paused: boolean;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) {
    world.releasePause();
    await world.participant.stop();
    await world.replies.stop();
    await world.db.drop();
    world.clients.destroy();
  }
});

/**
 * A toy service: Stamp (one statement) and StampInTransaction (a transaction handler) each add
 * one to a stamp's count and answer with the count; Unstamp is the compensation of both.
 */
async function world(testName: string, options: { pauseTransaction?: boolean } = {}) {
  const backend = await testBackend(testName, "stamps", {
    maxReceiveCount: 5,
    migrations: stampMigrations,
  });
  const { clients, prefix, db, queueUrls } = backend;
  let release: () => void = () => {};
  const pause = new Promise<void>((resolve) => {
    release = resolve;
  });
  const participant = await participantOn(backend, {
    waitTimeSeconds: 1,
    handlers: {
      Stamp: defineStatementHandler(stampPayload, ({ payload }) => ({
        with: [
          [
            "stamped",
            sql`INSERT INTO stamps (id, count) VALUES (${payload.stampId}::text, 1)
              ON CONFLICT (id) DO UPDATE SET count = stamps.count + 1 RETURNING count`,
          ],
        ],
        reply: sql`SELECT 'Stamped' AS reply_name,
            jsonb_build_object('stampId', ${payload.stampId}::text, 'count', s.count) AS reply_payload
          FROM stamped s`,
      })),
      // Stamps only through an open gate (a row in gates); a closed one is a retriable failure.
      StampThroughGate: defineStatementHandler(stampPayload, ({ payload }) => ({
        with: [
          ["gate", sql`SELECT id FROM gates WHERE id = ${payload.stampId}::text`],
          [
            "stamped",
            sql`INSERT INTO stamps (id, count) SELECT id, 1 FROM gate
              ON CONFLICT (id) DO UPDATE SET count = stamps.count + 1 RETURNING count`,
          ],
        ],
        reply: sql`SELECT
            CASE WHEN s.count IS NULL THEN ${COMMAND_FAILED}::text ELSE 'Stamped' END AS reply_name,
            CASE WHEN s.count IS NULL THEN ${failedPayloadSql("GATE_CLOSED", "the gate is closed")}
              ELSE jsonb_build_object('stampId', ${payload.stampId}::text, 'count', s.count)
            END AS reply_payload
          FROM (SELECT 1) AS one LEFT JOIN stamped s ON true`,
      })),
      StampInTransaction: defineHandler(stampPayload, async ({ trx, payload }) => {
        const [row] = (await trx("stamps")
          .insert({ id: payload.stampId, count: 1 })
          .onConflict("id")
          .merge({ count: trx.raw("stamps.count + 1") })
          .returning("count")) as { count: number }[];
        if (options.pauseTransaction) {
          w.paused = true;
          await pause;
        }
        return { name: "Stamped", payload: { stampId: payload.stampId, count: row?.count } };
      }),
      Unstamp: defineHandler(stampPayload, async ({ trx, payload, actionApplied }) => {
        const removed = actionApplied
          ? await trx("stamps").where({ id: payload.stampId }).delete()
          : 0;
        return { name: "Unstamped", payload: { stampId: payload.stampId, removed } };
      }),
    },
  });
  participant.start();
  const replyQueue = replyQueueName(prefix);
  const w: World = {
    clients,
    db,
    participant,
    replies: new ReplyCollector(clients.sqs, queueUrls[replyQueue] ?? ""),
    replyQueue,
    releasePause: () => release(),
    paused: false,
  };
  expect(queueUrls[commandQueueName(prefix, "stamps")]).toBeDefined();
  worlds.push(w);
  return w;
}

function deliver(w: World, command: Envelope, copy = 1) {
  return w.participant.handle({
    body: command,
    sqsMessageId: `copy-${copy}`,
    receiveCount: 1,
    attributes: {},
  });
}

const stamps = (w: World) => w.db.knex("stamps").select("id", "count").orderBy("id");
const rowCount = async (w: World, table: string) =>
  Number(((await w.db.knex(table).count({ n: "*" }).first()) as { n: string | number }).n);

/** What a reply says, without what every resend makes anew (message id, time, signature). */
/** A command of the stamp step for `stampId`, answered on the world's reply queue. */
function stampCommand(
  w: World,
  name: string,
  stampId: string,
  more: Omit<Parameters<typeof commandEnvelope>[0], "name" | "payload" | "replyTo" | "step"> = {},
) {
  return commandEnvelope({
    name,
    payload: { stampId },
    replyTo: w.replyQueue,
    step: "stamp",
    ...more,
  });
}

function answer(reply: ReplyEnvelope) {
  return { name: reply.name, payload: reply.payload, causationId: reply.causationId };
}

describe.each([
  ["one-statement", "Stamp"],
  ["transaction", "StampInTransaction"],
])("a %s handler", (_kind, name) => {
  it("applies concurrent copies of one command once, and every copy gets the same signed reply", async () => {
    const w = await world(`concurrent ${name}`);
    const command = stampCommand(w, name, "s1");
    const copies = 6;
    const results = await Promise.all(
      Array.from({ length: copies }, (_, index) => deliver(w, command, index + 1)),
    );
    expect(results.map((result) => result.type)).toEqual(Array(copies).fill("ack"));
    expect(await stamps(w)).toEqual([{ id: "s1", count: 1 }]);
    expect(w.participant.stats).toMatchObject({ handled: 1, duplicates: copies - 1 });
    await waitFor(() => w.replies.forSaga(command.sagaId).length === copies);
    const replies = w.replies.forSaga(command.sagaId);
    for (const reply of replies) {
      expect(answer(reply)).toEqual({
        name: "Stamped",
        payload: { stampId: "s1", count: 1 },
        causationId: command.messageId,
      });
      // Signed with the participant's own key, the one the orchestrator checks.
      expect(verifyEnvelopeSignature(reply, { current: devReplyKey("stamps") })).toBeUndefined();
    }
  });

  it("is refused after a compensation placed its guard first, with no effect and no reply", async () => {
    const w = await world(`guard ${name}`);
    const action = stampCommand(w, name, "late");
    const compensation = stampCommand(w, "Unstamp", "late", {
      sagaId: action.sagaId,
      compensation: true,
    });
    await deliver(w, compensation);
    expect(await w.replies.replyTo(compensation)).toMatchObject({
      name: "Unstamped",
      payload: { removed: 0 },
    });
    expect(await deliver(w, action)).toEqual({ type: "ack" });
    expect(w.participant.stats.refusedByGuard).toBe(1);
    expect(await stamps(w)).toEqual([]);
    // Only the compensation's reply; the refused action's would have come before we asked.
    expect(w.replies.forSaga(action.sagaId).map((reply) => reply.name)).toEqual(["Unstamped"]);
  });
});

/**
 * After a killed attempt nothing of it is left (no stamp, outbox or inbox row), and the command
 * delivered again (the message was never deleted) is applied once and answered once.
 */
async function expectNothingLeftThenAppliedOnce(w: World, command: Envelope, stampId: string) {
  expect(await stamps(w)).toEqual([]);
  expect(await rowCount(w, "participant_outbox")).toBe(0);
  expect(await rowCount(w, "participant_inbox")).toBe(0);
  expect(await deliver(w, command, 2)).toEqual({ type: "ack" });
  expect(answer(await w.replies.replyTo(command))).toEqual({
    name: "Stamped",
    payload: { stampId, count: 1 },
    causationId: command.messageId,
  });
  expect(await stamps(w)).toEqual([{ id: stampId, count: 1 }]);
}

// Killing one connection needs a server with several; embedded PGlite has one.
describe.runIf(process.env.DATABASE_URL)(
  "a connection killed between the business write and the inbox row (real Postgres)",
  () => {
    it("leaves nothing of a one-statement handler, which then applies once", async () => {
      const w = await world("killed statement");
      const command = stampCommand(w, "Stamp", "k1");
      // Another transaction holds the command's inbox key, so the statement makes its business
      // write and then waits on the inbox insert; that is where its connection is killed.
      const blocker = await w.db.knex.transaction();
      await blocker("participant_inbox").insert({
        idempotency_key: command.idempotencyKey,
        command: "(blocker)",
        saga_id: command.sagaId,
        status: "processing",
        received_at: new Date(),
      });
      const blockerPid =
        (
          (await blocker.raw("SELECT pg_backend_pid() AS pid")) as {
            rows: { pid: number }[];
          }
        ).rows[0]?.pid ?? 0;
      const handling = deliver(w, command);
      const waiting = await waitFor(async () => {
        const blocked = (await w.db.knex.raw(
          "SELECT pid FROM pg_stat_activity WHERE ?::int = ANY(pg_blocking_pids(pid))",
          [blockerPid],
        )) as { rows: { pid: number }[] };
        return blocked.rows[0]?.pid;
      });
      await w.db.knex.raw("SELECT pg_terminate_backend(?)", [waiting]);
      await expect(handling).rejects.toThrow();
      await blocker.rollback();
      await expectNothingLeftThenAppliedOnce(w, command, "k1");
    });

    it("leaves nothing of a transaction handler, which then applies once", async () => {
      const w = await world("killed transaction", { pauseTransaction: true });
      const command = stampCommand(w, "StampInTransaction", "k2");
      const handling = deliver(w, command);
      await waitFor(() => w.paused);
      // The claim and the business write are made; the reply is not: kill the transaction's
      // connection there.
      // The one backend holding a write lock on this test's own stamps table.
      const idle = (await w.db.knex.raw(
        "SELECT DISTINCT pid FROM pg_locks WHERE relation = 'stamps'::regclass AND mode = 'RowExclusiveLock'",
      )) as { rows: { pid: number }[] };
      expect(idle.rows).toHaveLength(1);
      await w.db.knex.raw("SELECT pg_terminate_backend(?)", [idle.rows[0]?.pid ?? 0]);
      w.releasePause();
      await expect(handling).rejects.toThrow();
      await expectNothingLeftThenAppliedOnce(w, command, "k2");
    });
  },
);

describe("a one-statement handler's answers", () => {
  it("gives a failed() attempt's failure again to its redelivery, and runs the next attempt", async () => {
    const w = await world("statement failed attempt");
    const first = stampCommand(w, "StampThroughGate", "g1");
    await deliver(w, first);
    expect(answer(await w.replies.replyTo(first))).toMatchObject({
      name: "CommandFailed",
      payload: { code: "GATE_CLOSED" },
    });
    // The gate opens; a redelivery of the failed attempt still gets its failure and stamps
    // nothing: the attempt has answered.
    await w.db.knex("gates").insert({ id: "g1" });
    await deliver(w, first, 2);
    await waitFor(() => w.replies.forSaga(first.sagaId).length === 2);
    expect(w.replies.forSaga(first.sagaId).map((reply) => reply.payload)).toEqual([
      { code: "GATE_CLOSED", message: "the gate is closed" },
      { code: "GATE_CLOSED", message: "the gate is closed" },
    ]);
    expect(await stamps(w)).toEqual([]);
    // The orchestrator's next attempt runs the statement again.
    const second = stampCommand(w, "StampThroughGate", "g1", { sagaId: first.sagaId, attempt: 2 });
    await deliver(w, second);
    expect(answer(await w.replies.replyTo(second))).toMatchObject({
      name: "Stamped",
      payload: { stampId: "g1", count: 1 },
    });
    expect(await stamps(w)).toEqual([{ id: "g1", count: 1 }]);
  });

  it("is stored unsigned and signed by the relay's poll when the writer died before sending", async () => {
    const w = await world("statement poll signs");
    await w.participant.stop();
    const command = stampCommand(w, "Stamp", "p1");
    const base = createReplyEnvelope({
      name: "Reply",
      sagaId: command.sagaId,
      sagaName: command.sagaName,
      sagaVersion: command.sagaVersion,
      step: command.step,
      attempt: command.attempt,
      compensation: false,
      causationId: command.messageId,
      payload: {},
    });
    const written = await runReplyStatement(w.db.statement, {
      statement: {
        with: [],
        reply: sql`SELECT 'Stamped' AS reply_name, jsonb_build_object('stampId', 'p1') AS reply_payload`,
      },
      sentIds: [],
      idempotencyKey: command.idempotencyKey,
      attempt: 1,
      command: command.name,
      sagaId: command.sagaId,
      destination: "reply-queue-url",
      envelope: base,
      now: new Date(),
    });
    expect(written.type).toBe("written");
    const keys = { current: devReplyKey("stamps") };
    const store = participantOutboxStore(w.db, keys);
    const claimed = await store.claimDue(new Date(Date.now() + 60_000), 10, async (rows) => rows);
    expect(claimed).toHaveLength(1);
    const reply = JSON.parse(claimed[0]?.message.body ?? "") as ReplyEnvelope;
    expect(reply).toMatchObject({ name: "Stamped", payload: { stampId: "p1" } });
    expect(verifyEnvelopeSignature(reply, keys)).toBeUndefined();
  });
});

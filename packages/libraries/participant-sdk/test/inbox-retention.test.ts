import { type Migration, runMigrations, silentLogger } from "@sagaworks/platform";
import { createTestDatabase } from "@sagaworks/platform/testing";
import { replyQueueName } from "@sagaworks/topology";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  DEFAULT_INBOX_RETENTION_MS,
  defineHandler,
  InboxRetention,
  LONGEST_REDELIVERY_MS,
} from "../src/index.ts";
import { commandEnvelope } from "../src/testing/index.ts";
import { participantOn, type TestBackend, testBackend } from "./fixtures.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const noMigrations: Migration[] = [];

/** A widgets topology and database, removed after the test. */
async function widgetsBackend(testName: string): Promise<TestBackend> {
  const backend = await testBackend(testName, "widgets", { migrations: noMigrations });
  cleanups.push(async () => backend.clients.destroy());
  cleanups.push(() => backend.db.drop());
  return backend;
}

describe("inbox retention", () => {
  it("refuses a window shorter than the longest redelivery", async () => {
    const db = await createTestDatabase("inbox retention refuses", process.env);
    cleanups.push(() => db.drop());
    expect(
      () => new InboxRetention({ db, logger: silentLogger(), retentionMs: 7 * DAY_MS }),
    ).toThrow(/shorter than the longest redelivery/);
    expect(DEFAULT_INBOX_RETENTION_MS).toBeGreaterThan(LONGEST_REDELIVERY_MS);
  });

  it("still catches a duplicate inside the window, and prunes the row once the window has passed", async () => {
    const backend = await widgetsBackend("inbox retention duplicate");
    const { db, prefix } = backend;

    let now = new Date("2026-01-01T00:00:00Z");
    const clock = () => now;
    let runs = 0;
    const participant = await participantOn(backend, {
      clock,
      handlers: {
        MakeWidget: defineHandler(z.object({ size: z.number() }), async () => {
          runs++;
          return { name: "WidgetMade", payload: {} };
        }),
      },
    });
    cleanups.push(() => participant.stop());
    const command = commandEnvelope({
      name: "MakeWidget",
      payload: { size: 1 },
      replyTo: replyQueueName(prefix),
      sentAt: now.toISOString(),
    });
    const deliver = () =>
      participant.handle({ body: command, sqsMessageId: "m", receiveCount: 1, attributes: {} });

    expect((await deliver()).type).toBe("ack");
    const retention = new InboxRetention({ db, logger: silentLogger(), clock });

    // 19 days later (the oldest a signed command is still accepted), inside the 21-day window:
    // the row stays and the duplicate is absorbed.
    now = new Date(now.getTime() + 19 * DAY_MS);
    expect(await retention.pruneOnce()).toBe(0);
    expect((await deliver()).type).toBe("ack");
    expect(runs).toBe(1);

    // Past the window the row goes (the command cannot come back any more).
    now = new Date(now.getTime() + 3 * DAY_MS);
    expect(await retention.pruneOnce()).toBe(1);
    expect(await db.knex("participant_inbox").count({ n: "*" })).toEqual([
      { n: expect.anything() },
    ]);
    const [{ n }] = (await db.knex("participant_inbox").count({ n: "*" })) as [
      { n: string | number },
    ];
    expect(Number(n)).toBe(0);
  });

  it("a compensation after the window still undoes the action, since the orchestrator says it applied", async () => {
    const backend = await widgetsBackend("inbox retention undo");
    const { db, prefix } = backend;
    let now = new Date("2026-01-01T00:00:00Z");
    const clock = () => now;
    const made = new Set<string>();
    const participant = await participantOn(backend, {
      clock,
      handlers: {
        MakeWidget: defineHandler(z.object({ id: z.string() }), async ({ payload }) => {
          made.add(payload.id);
          return { name: "WidgetMade", payload: {} };
        }),
        ScrapWidget: defineHandler(
          z.object({ id: z.string() }),
          async ({ payload, actionApplied }) => {
            const existed = actionApplied && made.delete(payload.id);
            return { name: "WidgetScrapped", payload: { existed } };
          },
        ),
      },
    });
    cleanups.push(() => participant.stop());
    const action = commandEnvelope({
      name: "MakeWidget",
      payload: { id: "w-old" },
      replyTo: replyQueueName(prefix),
      step: "make",
      // Sent by the participant's clock, so the freshness check judges it as it would live.
      sentAt: now.toISOString(),
    });
    const deliver = (body: typeof action) =>
      participant.handle({ body, sqsMessageId: body.messageId, receiveCount: 1, attributes: {} });
    expect((await deliver(action)).type).toBe("ack");
    // The saga stays parked for a month; the retention prunes the action's inbox row.
    now = new Date(now.getTime() + 30 * DAY_MS);
    expect(await new InboxRetention({ db, logger: silentLogger(), clock }).pruneOnce()).toBe(1);
    // Then an operator compensates: the orchestrator got MakeWidget's success reply and says so.
    const compensation = commandEnvelope({
      name: "ScrapWidget",
      payload: { id: "w-old" },
      replyTo: replyQueueName(prefix),
      step: "make",
      sagaId: action.sagaId,
      compensation: true,
      actionApplied: true,
      sentAt: now.toISOString(),
    });
    expect((await deliver(compensation)).type).toBe("ack");
    expect(made.has("w-old")).toBe(false);
    expect(participant.stats.guardsLeft).toBe(0);
    const [reply] = (await db.knex("participant_inbox").where({
      idempotency_key: compensation.idempotencyKey,
    })) as { reply_payload: unknown }[];
    expect(reply?.reply_payload).toEqual({ existed: true });
  });

  it("deletes in batches until nothing old is left, and leaves recent rows alone", async () => {
    const db = await createTestDatabase("inbox retention batches", process.env);
    cleanups.push(() => db.drop());
    const { participantMigrations, PARTICIPANT_MIGRATIONS_TABLE } = await import("../src/index.ts");
    await runMigrations(db, participantMigrations, { table: PARTICIPANT_MIGRATIONS_TABLE });
    const now = new Date("2026-03-01T00:00:00Z");
    const row = (index: number, ageDays: number) => ({
      idempotency_key: `key-${index}`,
      command: "MakeWidget",
      saga_id: "00000000-0000-4000-8000-000000000000",
      status: "replied",
      received_at: new Date(now.getTime() - ageDays * DAY_MS),
    });
    await db
      .knex("participant_inbox")
      .insert([
        ...Array.from({ length: 25 }, (_, i) => row(i, 30)),
        ...Array.from({ length: 5 }, (_, i) => row(100 + i, 1)),
      ]);
    const retention = new InboxRetention({
      db,
      logger: silentLogger(),
      clock: () => now,
      batchSize: 10,
    });
    expect(await retention.pruneOnce()).toBe(25);
    const left = (await db.knex("participant_inbox").select("idempotency_key")) as {
      idempotency_key: string;
    }[];
    expect(left.map((r) => r.idempotency_key).sort()).toEqual([
      "key-100",
      "key-101",
      "key-102",
      "key-103",
      "key-104",
    ]);
  });
});

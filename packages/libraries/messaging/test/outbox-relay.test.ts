import { type Migration, runMigrations, silentLogger } from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase } from "@sagaworks/platform/testing";
import { commandQueueName } from "@sagaworks/topology";
import { afterEach, describe, expect, it } from "vitest";
import { createOutboxTable, OutboxRelay, type OutboxRow, outboxAvailableAt } from "../src/index.ts";
import { receiveMessages, waitFor } from "../src/testing/index.ts";
import { brokerClients, testTopology } from "./broker.ts";

const clients = brokerClients();
const outboxMigrations: Migration[] = [
  { name: "0001-create-outbox", up: (knex) => createOutboxTable(knex, "outbox") },
];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(
  testName: string,
  options: { maxAttempts?: number; pollIntervalMs?: number } = {},
) {
  const db = await createTestDatabase(testName, process.env);
  cleanups.push(() => db.drop());
  await runMigrations(db, outboxMigrations);
  const { topology, url } = await testTopology(clients, testName, { participants: ["sink"] });
  const queueUrl = url(commandQueueName(topology.prefix, "sink"));
  const metrics = { commits: 0 };
  const relay = new OutboxRelay({
    db,
    table: "outbox",
    sqs: clients.sqs,
    logger: silentLogger(),
    metrics,
    pollIntervalMs: 50,
    ...options,
  });
  relay.start();
  cleanups.push(() => relay.stop());
  return { db, relay, queueUrl, metrics };
}

async function write(
  db: TestDatabase,
  queueUrl: string,
  bodies: string[],
  availableAt: Date,
): Promise<OutboxRow[]> {
  // Written one by one so ids follow the order of `bodies`.
  const written: OutboxRow[] = [];
  for (const body of bodies) written.push(...(await writeBatch(db, queueUrl, [body], availableAt)));
  return written;
}

async function writeBatch(
  db: TestDatabase,
  queueUrl: string,
  bodies: string[],
  availableAt: Date,
): Promise<OutboxRow[]> {
  const rows = (await db
    .knex("outbox")
    .insert(
      bodies.map((body) => ({
        kind: "sqs",
        destination: queueUrl,
        message: JSON.stringify({ transport: "sqs", body }),
        available_at: availableAt,
        created_at: new Date(),
      })),
    )
    .returning("id")) as { id: string | number }[];
  return rows.map((row, index) => ({
    id: String(row.id),
    kind: "sqs",
    destination: queueUrl,
    message: { transport: "sqs" as const, body: bodies[index] as string },
    attempts: 0,
  }));
}

const remaining = async (db: TestDatabase) =>
  Number((await db.knex("outbox").count({ n: "*" }))[0]?.n);

describe("the outbox relay", () => {
  it("sends notified rows at once, then deletes them together in one commit", async () => {
    const { db, relay, queueUrl, metrics } = await setUp("relay notify");
    const rows = await write(db, queueUrl, ["a", "b", "c"], outboxAvailableAt(new Date()));
    relay.notify(rows);
    const received = await receiveMessages(clients.sqs, queueUrl, 3);
    expect(received.map((m) => m.Body).sort()).toEqual(["a", "b", "c"]);
    await waitFor(async () => (await remaining(db)) === 0, {
      description: "the sent rows to be deleted",
    });
    expect(metrics.commits).toBe(1);
  });

  it("hands sent rows to a caller's transaction to delete, costing no commit of its own", async () => {
    const { db, relay, queueUrl, metrics } = await setUp("relay take sent");
    const rows = await write(db, queueUrl, ["x"], outboxAvailableAt(new Date()));
    relay.notify(rows);
    await receiveMessages(clients.sqs, queueUrl, 1);
    const sent = await waitFor(() => {
      const taken = relay.takeSent();
      return taken.length > 0 ? taken : undefined;
    });
    expect(sent).toEqual(rows.map((row) => row.id));
    await db.knex.transaction((trx) => trx("outbox").whereIn("id", sent).delete());
    expect(await remaining(db)).toBe(0);
    expect(metrics.commits).toBe(0);
  });

  it("gives sent rows back when the writer's transaction fails, and deletes them itself", async () => {
    const { db, relay, queueUrl } = await setUp("relay hand-off rollback");
    const rows = await write(db, queueUrl, ["y"], outboxAvailableAt(new Date()));
    relay.notify(rows);
    await receiveMessages(clients.sqs, queueUrl, 1);
    await waitFor(() => relay.handOff.pending > 0, { description: "the row to be sent" });
    const failure = relay.handOff.transaction(db.knex, async (trx) => {
      // The delete of the sent row ran in this transaction, which now rolls back.
      expect(Number((await trx("outbox").count({ n: "*" }))[0]?.n)).toBe(0);
      throw new Error("writer failed");
    });
    await expect(failure).rejects.toThrow("writer failed");
    await waitFor(async () => (await remaining(db)) === 0, {
      description: "the relay to delete the row given back",
    });
  });

  it("sends the rows of several commits notified together in one batch", async () => {
    const { db, relay, queueUrl } = await setUp("relay batches commits");
    const commits = [
      await write(db, queueUrl, ["c1"], outboxAvailableAt(new Date())),
      await write(db, queueUrl, ["c2", "c3"], outboxAvailableAt(new Date())),
      await write(db, queueUrl, ["c4"], outboxAvailableAt(new Date())),
    ];
    clients.counter.reset();
    // Three transactions whose commits end in the same turn of the event loop.
    for (const rows of commits) relay.notify(rows);
    const received = await receiveMessages(clients.sqs, queueUrl, 4);
    expect(received.map((m) => m.Body).sort()).toEqual(["c1", "c2", "c3", "c4"]);
    expect(clients.counter.snapshot()["SQS.SendMessageBatch"]).toBe(1);
    await waitFor(async () => (await remaining(db)) === 0, {
      description: "the sent rows to be deleted",
    });
  });

  it("loses nothing when part of a batch fails: the rest goes, the failed row stays to retry", async () => {
    const { db, relay, queueUrl } = await setUp("relay partial failure", {
      pollIntervalMs: 60_000,
    });
    const missing = `${queueUrl}-missing`;
    const commits = [
      await write(db, queueUrl, ["ok-1"], outboxAvailableAt(new Date())),
      await write(db, missing, ["nowhere"], outboxAvailableAt(new Date())),
      await write(db, queueUrl, ["ok-2"], outboxAvailableAt(new Date())),
    ];
    for (const rows of commits) relay.notify(rows);
    const received = await receiveMessages(clients.sqs, queueUrl, 2);
    expect(received.map((m) => m.Body).sort()).toEqual(["ok-1", "ok-2"]);
    const failed = await waitFor(
      async () => {
        const row = (await db
          .knex("outbox")
          .where({ destination: missing })
          .first("attempts", "last_error")) as { attempts: number; last_error: string | null };
        return row?.attempts === 1 ? row : undefined;
      },
      { description: "the refused row to be rescheduled" },
    );
    expect(failed.last_error).toBeTruthy();
    await waitFor(async () => (await remaining(db)) === 1, {
      description: "only the sent rows to be deleted",
    });
  });

  it("a crash between the send and the delete sends the row again, never loses it", async () => {
    const { db, relay, queueUrl } = await setUp("relay crash before delete", {
      pollIntervalMs: 60_000,
    });
    const rows = await write(db, queueUrl, ["once?"], outboxAvailableAt(new Date()));
    relay.notify(rows);
    expect((await receiveMessages(clients.sqs, queueUrl, 1)).map((m) => m.Body)).toEqual(["once?"]);
    // The process dies now: the ids of the sent rows, held in memory, are gone with it.
    await waitFor(() => relay.takeSent().length > 0, { description: "the row to be sent" });
    expect(await remaining(db)).toBe(1);
    // The lease runs out, and another replica's poll finds the row and sends it again.
    await db.knex("outbox").update({ available_at: new Date(Date.now() - 1_000) });
    const other = new OutboxRelay({
      db,
      table: "outbox",
      sqs: clients.sqs,
      logger: silentLogger(),
    });
    expect(await other.pollOnce()).toBe(1);
    expect((await receiveMessages(clients.sqs, queueUrl, 1)).map((m) => m.Body)).toEqual(["once?"]);
    expect(await remaining(db)).toBe(0);
  });

  it("leaves a leased row to its writer, and the poll sends it once the lease runs out", async () => {
    const { db, queueUrl } = await setUp("relay lease");
    // A writer that crashed after its commit: nobody notifies, and the lease is still running.
    await write(db, queueUrl, ["leased"], outboxAvailableAt(new Date()));
    // Its lease has run out.
    await write(db, queueUrl, ["orphan"], new Date(Date.now() - 1_000));
    const received = await receiveMessages(clients.sqs, queueUrl, 1);
    expect(received.map((m) => m.Body)).toEqual(["orphan"]);
    await waitFor(async () => (await remaining(db)) === 1, {
      description: "the orphan to be deleted",
    });
    expect((await db.knex("outbox").first("message")).message.body).toBe("leased");
  });
});

/** A body over SQS's 1 MiB: it can never be sent as it is. */
const poisonBody = "p".repeat(1_048_577);

const parked = async (db: TestDatabase) =>
  (await db
    .knex("outbox")
    .where("available_at", "infinity")
    .select("id", "attempts", "last_error")) as { id: string; last_error: string }[];

describe("the outbox relay with a row that cannot be sent", () => {
  it("a poison row never holds back the other rows of its batch, and is parked with the reason", async () => {
    const { db, relay, queueUrl } = await setUp("relay poison notify");
    const rows = await write(db, queueUrl, ["a", poisonBody, "b"], outboxAvailableAt(new Date()));
    relay.notify(rows);
    const received = await receiveMessages(clients.sqs, queueUrl, 2);
    expect(received.map((m) => m.Body).sort()).toEqual(["a", "b"]);
    const [poison] = await waitFor(
      async () => {
        const found = await parked(db);
        return found.length > 0 ? found : undefined;
      },
      { description: "the poison row to be parked" },
    );
    expect(String(poison?.id)).toBe(rows[1]?.id);
    expect(poison?.last_error).toMatch(/MESSAGE_TOO_LARGE.*can never be sent/);
    // The good rows are deleted; the parked one stays, readable, and no poll sends it again.
    await waitFor(async () => (await remaining(db)) === 1, {
      description: "the sent rows to be deleted",
    });
  });

  it("the poll sends the rest of a claimed batch and parks the poison row", async () => {
    const { db, queueUrl } = await setUp("relay poison poll");
    // A writer that crashed after its commit: the poll claims all three in one transaction.
    await write(db, queueUrl, ["c", poisonBody, "d"], new Date(Date.now() - 1_000));
    const received = await receiveMessages(clients.sqs, queueUrl, 2);
    expect(received.map((m) => m.Body).sort()).toEqual(["c", "d"]);
    await waitFor(async () => (await parked(db)).length === 1 && (await remaining(db)) === 1, {
      description: "the good rows deleted and the poison row parked",
    });
  });

  it("parks a row the broker keeps refusing after maxAttempts, with its last error", async () => {
    const { db, queueUrl } = await setUp("relay refused", { maxAttempts: 2 });
    const missing = `${queueUrl}-missing`;
    await write(db, missing, ["lost?"], new Date(Date.now() - 1_000));
    await write(db, queueUrl, ["fine"], new Date(Date.now() - 1_000));
    const received = await receiveMessages(clients.sqs, queueUrl, 1);
    expect(received.map((m) => m.Body)).toEqual(["fine"]);
    const [row] = await waitFor(
      async () => {
        const found = await parked(db);
        return found.length > 0 ? found : undefined;
      },
      { description: "the refused row to be parked" },
    );
    expect(row?.last_error).toMatch(/refused 2 times/);
    expect(await remaining(db)).toBe(1);
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateQueueCommand } from "@aws-sdk/client-sqs";
import { createAwsClients, type Migration, runMigrations, silentLogger } from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase, uniqueTestName } from "@sagaworks/platform/testing";
import { commandQueueName } from "@sagaworks/topology";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createOutboxTable, OutboxRelay, type OutboxRow, outboxAvailableAt } from "../src/index.ts";
import { forwardRequest, receiveMessages, waitFor } from "../src/testing/index.ts";
import { brokerClients, testTopology } from "./broker.ts";

const clients = brokerClients();
const outboxMigrations: Migration[] = [
  { name: "0001-create-outbox", up: (knex) => createOutboxTable(knex, "outbox") },
];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A proxy in front of the broker that answers every request with 503 while `down`, as SQS and
 * SNS do in an outage, and forwards it otherwise.
 */
async function outageProxy(): Promise<{ url: string; down: boolean; failed: number }> {
  const target = new URL(inject("brokerEndpoint"));
  const state = { url: "", down: true, failed: 0 };
  const server: Server = createServer((req, res) => {
    if (state.down) {
      state.failed++;
      req.resume();
      // SQS speaks JSON (awsJson1_0): its error body names the error's type.
      res.writeHead(503, { "content-type": "application/x-amz-json-1.0" });
      res.end(JSON.stringify({ __type: "ServiceUnavailable", message: "down for maintenance" }));
      return;
    }
    forwardRequest(req, res, target, { ...req.headers, host: target.host });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return state;
}

async function setUp(
  testName: string,
  options: {
    maxAttempts?: number;
    pollIntervalMs?: number;
    retryBaseDelayMs?: number;
    retryMaxDelayMs?: number;
    sqs?: typeof clients.sqs;
    deferrable?: (row: OutboxRow) => boolean;
    maxDeferMs?: number;
    unread?: (row: OutboxRow) => boolean;
  } = {},
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

  it("a deferrable row starts no send of its own: it rides along with the next urgent row", async () => {
    const { db, relay, queueUrl } = await setUp("relay defers", {
      deferrable: (row) => row.message.body.startsWith("later"),
      maxDeferMs: 60_000,
    });
    const later = await write(db, queueUrl, ["later-1"], outboxAvailableAt(new Date()));
    const now = await write(db, queueUrl, ["now-1"], outboxAvailableAt(new Date()));
    clients.counter.reset();
    relay.notify(later);
    // A turn of the event loop: an urgent row would have been sent by now, on its own.
    await new Promise((resolve) => setImmediate(resolve));
    expect(clients.counter.snapshot()["SQS.SendMessageBatch"]).toBeUndefined();
    relay.notify(now);
    const received = await receiveMessages(clients.sqs, queueUrl, 2);
    expect(received.map((m) => m.Body).sort()).toEqual(["later-1", "now-1"]);
    expect(clients.counter.snapshot()["SQS.SendMessageBatch"]).toBe(1);
  });

  it("deletes rows nobody reads without sending them, whether notified or found by the poll", async () => {
    const { db, relay, queueUrl } = await setUp("relay unread", {
      unread: (row) => row.message.body.startsWith("unread"),
    });
    const notified = await write(
      db,
      queueUrl,
      ["unread-1", "read-1"],
      outboxAvailableAt(new Date()),
    );
    // Rows whose lease ran out: only the poll finds them.
    await write(db, queueUrl, ["unread-2", "read-2"], new Date(Date.now() - 1_000));
    clients.counter.reset();
    relay.notify(notified);
    await relay.pollOnce();
    const received = await receiveMessages(clients.sqs, queueUrl, 2);
    expect(received.map((m) => m.Body).sort()).toEqual(["read-1", "read-2"]);
    await waitFor(async () => (await remaining(db)) === 0, {
      description: "every row, sent or not, to be deleted",
    });
    expect(clients.counter.snapshot()["SQS.SendMessageBatch"]).toBe(2);
  });

  it("a deferrable row does not ride along with urgent rows to another destination", async () => {
    const { db, relay, queueUrl } = await setUp("relay defers per destination", {
      deferrable: (row) => row.message.body.startsWith("later"),
      maxDeferMs: 60_000,
    });
    const other = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${uniqueTestName("relay-other", 28)}-q` }),
    );
    const otherUrl = other.QueueUrl ?? "";
    const later = await write(db, queueUrl, ["later-1"], outboxAvailableAt(new Date()));
    const elsewhere = await write(db, otherUrl, ["now-elsewhere"], outboxAvailableAt(new Date()));
    const here = await write(db, queueUrl, ["now-here"], outboxAvailableAt(new Date()));
    clients.counter.reset();
    relay.notify([...later, ...elsewhere]);
    expect((await receiveMessages(clients.sqs, otherUrl, 1)).map((m) => m.Body)).toEqual([
      "now-elsewhere",
    ]);
    expect(clients.counter.snapshot()["SQS.SendMessageBatch"]).toBe(1);
    relay.notify(here);
    const received = await receiveMessages(clients.sqs, queueUrl, 2);
    expect(received.map((m) => m.Body).sort()).toEqual(["later-1", "now-here"]);
    expect(clients.counter.snapshot()["SQS.SendMessageBatch"]).toBe(2);
  });

  it("sends a deferrable row on its own once its deferral is up, and on stop", async () => {
    const { db, relay, queueUrl } = await setUp("relay deferral ends", {
      deferrable: () => true,
      maxDeferMs: 20,
    });
    relay.notify(await write(db, queueUrl, ["alone"], outboxAvailableAt(new Date())));
    expect((await receiveMessages(clients.sqs, queueUrl, 1)).map((m) => m.Body)).toEqual(["alone"]);

    const stopping = new OutboxRelay({
      db,
      table: "outbox",
      sqs: clients.sqs,
      logger: silentLogger(),
      deferrable: () => true,
      maxDeferMs: 60_000,
    });
    stopping.start();
    stopping.notify(await write(db, queueUrl, ["on-stop"], outboxAvailableAt(new Date())));
    await stopping.stop();
    expect((await receiveMessages(clients.sqs, queueUrl, 1)).map((m) => m.Body)).toEqual([
      "on-stop",
    ]);
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

  it("never parks a row through a broker outage: it retries with backoff until the broker answers", async () => {
    const proxy = await outageProxy();
    const viaProxy = createAwsClients({ endpoint: proxy.url, maxAttempts: 1 });
    cleanups.push(async () => viaProxy.destroy());
    const { db, relay, queueUrl } = await setUp("relay outage", {
      maxAttempts: 2,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 200,
      sqs: viaProxy.sqs,
    });
    relay.notify(await write(db, queueUrl, ["through-the-outage"], outboxAvailableAt(new Date())));
    // Far more failed attempts than maxAttempts: an outage is not a reason to give up.
    await waitFor(
      async () => {
        const row = (await db.knex("outbox").first("attempts")) as { attempts: number };
        return row !== undefined && row.attempts >= 6;
      },
      { description: "six failed attempts during the outage", timeoutMs: 30_000 },
    );
    expect(await parked(db)).toEqual([]);
    const row = (await db.knex("outbox").first("last_error", "available_at")) as {
      last_error: string;
      available_at: Date;
    };
    expect(row.last_error).toMatch(/ServiceUnavailable|503/);
    proxy.down = false;
    const received = await receiveMessages(clients.sqs, queueUrl, 1);
    expect(received.map((m) => m.Body)).toEqual(["through-the-outage"]);
    await waitFor(async () => (await remaining(db)) === 0, {
      description: "the row to be deleted once sent",
    });
    expect(proxy.failed).toBeGreaterThanOrEqual(6);
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

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

async function setUp(testName: string) {
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

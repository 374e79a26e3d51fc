// Database.statement, the hot path's way to Postgres: named statements in autocommit, those
// asked for in one turn of the event loop pipelined on one connection. On PGlite the same SQL runs
// on its one connection.
import { afterEach, describe, expect, it } from "vitest";
import { StatementPipe } from "../src/statement-pipe.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing/index.ts";

const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.drop()));
});

async function withTable(name: string): Promise<TestDatabase> {
  const db = await createTestDatabase(name, process.env);
  opened.push(db);
  await db.knex.raw("create table notes (id int primary key, text text not null)");
  return db;
}

const INSERT = "insert into notes (id, text) values ($1::int, $2::text) returning id";

describe("Database.statement", () => {
  it("runs statements asked for together each on its own: one failing leaves the rest", async () => {
    const db = await withTable("statements isolated");
    await db.statement("note_insert", INSERT, [1, "first"]);
    const results = await Promise.allSettled([
      db.statement<{ id: number }>("note_insert", INSERT, [2, "second"]),
      db.statement("note_insert", INSERT, [1, "a duplicate key"]),
      db.statement<{ id: number }>("note_insert", INSERT, [3, "third"]),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "23505" });
    expect((results[0] as PromiseFulfilledResult<{ rows: { id: number }[] }>).value.rows).toEqual([
      { id: 2 },
    ]);
    // Autocommit: what succeeded is there for every other connection, knex's included.
    const rows = await db.knex("notes").orderBy("id").select("id", "text");
    expect(rows).toEqual([
      { id: 1, text: "first" },
      { id: 2, text: "second" },
      { id: 3, text: "third" },
    ]);
  });

  it("commits on its own beside a knex transaction, never inside it", async () => {
    const db = await withTable("statements beside knex");
    let pending: Promise<unknown> = Promise.resolve();
    // On Postgres it runs on its own connection at once; on PGlite, once knex lets go of the one.
    await db.knex.transaction(async (trx) => {
      await trx("notes").insert({ id: 1, text: "in a transaction" });
      pending = db.statement("note_insert", INSERT, [2, "beside it"]);
      await trx("notes").insert({ id: 3, text: "still in it" });
    });
    await pending;
    expect(await db.knex("notes").orderBy("id").pluck("id")).toEqual([1, 2, 3]);
  });
});

describe.runIf(process.env.DATABASE_URL)("the pipelined connection (real Postgres)", () => {
  it("fails the statements in flight when the connection is cut, and opens a new one for the next", async () => {
    const db = await withTable("statements reconnect");
    const pipe = new StatementPipe(process.env.DATABASE_URL ?? "", db.schema);
    try {
      await pipe.run("note_insert", INSERT, [1, "before"]);
      const inFlight = pipe.run("note_slow", "select pg_sleep(5)", []);
      // Let the statement go out, then cut the socket as a crash of the network would.
      await new Promise((resolve) => setTimeout(resolve, 100));
      pipe.socket()?.destroy();
      await expect(inFlight).rejects.toThrow();
      await pipe.run("note_insert", INSERT, [2, "after"]);
      expect(await db.knex("notes").orderBy("id").pluck("id")).toEqual([1, 2]);
    } finally {
      await pipe.close();
    }
  });
});

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
  it("answers statements asked for together each on its own: one failing leaves the rest", async () => {
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
  it("sends the statements asked for in one turn in one socket write", async () => {
    // The pipe corks its socket while pg writes each statement's messages inside query(); were
    // pg to write them later, each message would be a write of its own and this would fail.
    const db = await withTable("statements one write");
    const pipe = new StatementPipe(process.env.DATABASE_URL ?? "", db.schema);
    try {
      await pipe.run("note_insert", INSERT, [1, "opens the connection"]);
      const socket = pipe.socket();
      if (!socket) throw new Error("the pipe has no open socket");
      let writes = 0;
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = ((...args: unknown[]) => {
        if (socket.writableCorked === 0) writes++;
        return write(...args);
      }) as typeof socket.write;
      const uncork = socket.uncork.bind(socket);
      socket.uncork = () => {
        if (socket.writableCorked === 1 && socket.writableLength > 0) writes++;
        uncork();
      };
      await Promise.all([
        pipe.run("note_insert", INSERT, [2, "second"]),
        pipe.run("note_insert", INSERT, [3, "third"]),
        pipe.run("note_count", "select count(*)::int as n from notes", []),
      ]);
      expect(writes).toBe(1);
      expect(await db.knex("notes").orderBy("id").pluck("id")).toEqual([1, 2, 3]);
    } finally {
      await pipe.close();
    }
  });

  it("commits a turn's statements as one transaction and answers none before the commit", async () => {
    const db = await withTable("statements one commit");
    const pipe = new StatementPipe(process.env.DATABASE_URL ?? "", db.schema);
    const XACT =
      "insert into notes (id, text) values ($1::int, $2::text) returning pg_current_xact_id()::text as xact";
    try {
      // Each answer is checked from knex's side as it arrives: a committed row is there. The
      // turn's last statement takes a while, so an insert answered before the COMMIT would be
      // looked for while it is still uncommitted.
      const seen: boolean[] = [];
      const [answers] = await Promise.all([
        Promise.all(
          [1, 2, 3].map((id) =>
            pipe
              .run<{ xact: string }>("note_xact", XACT, [id, `note ${id}`])
              .then(async (result) => {
                seen.push((await db.knex("notes").where({ id }).first()) !== undefined);
                return result.rows[0]?.xact;
              }),
          ),
        ),
        pipe.run(
          "note_slow_insert",
          "insert into notes (id, text) select 5, 'slow' from pg_sleep(0.3)",
          [],
        ),
        // A read of the same turn runs outside its transaction: it has no commit to share.
        pipe
          .run<{ xact: string | null }>(
            "note_read_xact",
            "select pg_current_xact_id_if_assigned()::text as xact",
            [],
          )
          .then((result) => expect(result.rows[0]?.xact).toBeNull()),
      ]);
      expect(seen).toEqual([true, true, true]);
      expect(new Set(answers).size).toBe(1);
      // A statement on its own is its own transaction.
      const alone = await pipe.run<{ xact: string }>("note_xact", XACT, [4, "alone"]);
      expect(alone.rows[0]?.xact).not.toBe(answers[0]);
    } finally {
      await pipe.close();
    }
  });

  it("rolls a turn back when one statement fails and runs the others again alone, each once", async () => {
    const db = await withTable("statements rerun");
    await db.knex.raw("create table counters (id int primary key, n int not null)");
    await db.knex("counters").insert([
      { id: 1, n: 0 },
      { id: 2, n: 0 },
    ]);
    await db.knex("notes").insert({ id: 1, text: "taken" });
    const pipe = new StatementPipe(process.env.DATABASE_URL ?? "", db.schema);
    const BUMP = "update counters set n = n + 1 where id = $1::int returning n";
    try {
      const results = await Promise.allSettled([
        pipe.run<{ n: number }>("counter_bump", BUMP, [1]),
        pipe.run("note_insert", INSERT, [1, "a duplicate key"]),
        pipe.run<{ n: number }>("counter_bump", BUMP, [2]),
      ]);
      expect(results.map((result) => result.status)).toEqual([
        "fulfilled",
        "rejected",
        "fulfilled",
      ]);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "23505" });
      expect(await db.knex("counters").orderBy("id").pluck("n")).toEqual([1, 1]);
      expect(pipe.turnsSentAgain).toBe(1);
    } finally {
      await pipe.close();
    }
  });

  /**
   * Two pipes (two processes' connections) send turns that bump rows 1, 3, 2 and 2, 3, 1 while
   * row 3 is held elsewhere: the first takes row 1 and waits for 3, the second takes 2 and waits
   * for 3, and once 3 is let go each wants the row the other holds. Answers every bump's outcome,
   * the counters after, and how many turns each pipe sent again.
   */
  async function crossedTurns(name: string) {
    const db = await withTable(name);
    await db.knex.raw("create table counters (id int primary key, n int not null)");
    await db.knex("counters").insert([1, 2, 3].map((id) => ({ id, n: 0 })));
    const BUMP = "update counters set n = n + 1 where id = $1::int returning n";
    const pipes = [0, 1].map(() => new StatementPipe(process.env.DATABASE_URL ?? "", db.schema));
    try {
      const PID = "select pg_backend_pid() as pid";
      const pids = await Promise.all(
        pipes.map(async (pipe) => (await pipe.run<{ pid: number }>("pid", PID, [])).rows[0]?.pid),
      );
      const orders = [
        [1, 3, 2],
        [2, 3, 1],
      ];
      let turns: Promise<PromiseSettledResult<unknown>[]>[] = [];
      await db.knex.transaction(async (trx) => {
        await trx.raw("select n from counters where id = 3 for update");
        turns = pipes.map((pipe, index) =>
          Promise.allSettled(
            (orders[index] ?? []).map((id) => pipe.run("counter_bump", BUMP, [id])),
          ),
        );
        // Row 3 is let go once both turns are waiting.
        for (;;) {
          const waiting = await trx.raw(
            "select count(*)::int as n from pg_stat_activity where pid = any(?::int[]) and cardinality(pg_blocking_pids(pid)) > 0",
            [`{${pids.join(",")}}`],
          );
          if (waiting.rows[0].n === 2) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      });
      return {
        outcomes: (await Promise.all(turns)).flat().map((result) => result.status),
        counters: await db.knex("counters").orderBy("id").pluck("n"),
        sentAgain: pipes.map((pipe) => pipe.turnsSentAgain),
      };
    } finally {
      await Promise.all(pipes.map((pipe) => pipe.close()));
    }
  }

  it("runs two turns again statement by statement when their transactions deadlock", async () => {
    // The server aborts one of the two transactions, whose statements then run alone.
    const { outcomes, counters, sentAgain } = await crossedTurns("statements deadlock");
    expect(outcomes).toEqual(Array(6).fill("fulfilled"));
    expect(counters).toEqual([2, 2, 2]);
    expect(sentAgain.reduce((sum, count) => sum + count, 0)).toBe(1);
  });

  it("reaches rows by key through an index even when the table was vacuumed while empty", async () => {
    // The hot path's tables are queues: a plan made right after a vacuum of a near-empty table
    // is a sequential scan, and it is kept while thousands of dead rows pile up behind it.
    const db = await withTable("statements index plans");
    await db.knex.raw("vacuum analyze notes");
    const explain = "explain (format json) select text from notes where id = any($1::int[])";
    const planOf = (rows: unknown[]) =>
      JSON.stringify((rows[0] as { "QUERY PLAN": unknown })["QUERY PLAN"]);
    // An ordinary connection plans a scan of the whole (empty-looking) table.
    const ordinary = await db.knex.raw(explain.replace("$1", "?"), ["{1,2}"]);
    expect(planOf(ordinary.rows)).toContain('"Node Type":"Seq Scan"');
    const pipe = new StatementPipe(process.env.DATABASE_URL ?? "", db.schema);
    try {
      const { rows } = await pipe.run("note_explain", explain, ["{1,2}"]);
      expect(planOf(rows)).not.toContain("Seq Scan");
      expect(planOf(rows)).toMatch(/"Index Name":"notes_pkey"/);
    } finally {
      await pipe.close();
    }
  });

  it("fails the statements in flight when the connection is cut, commits none of them, and opens a new one for the next", async () => {
    const db = await withTable("statements reconnect");
    const pipe = new StatementPipe(process.env.DATABASE_URL ?? "", db.schema);
    try {
      await pipe.run("note_insert", INSERT, [1, "before"]);
      // One turn: an insert, then a statement still running when the socket is cut.
      const inFlight = [
        pipe.run("note_insert", INSERT, [3, "cut before its commit"]),
        pipe.run("note_slow", "select pg_sleep(5)", []),
      ];
      // Let the statements go out, then cut the socket as a crash of the network would.
      await new Promise((resolve) => setTimeout(resolve, 100));
      pipe.socket()?.destroy();
      for (const statement of inFlight) await expect(statement).rejects.toThrow();
      await pipe.run("note_insert", INSERT, [2, "after"]);
      expect(await db.knex("notes").orderBy("id").pluck("id")).toEqual([1, 2]);
    } finally {
      await pipe.close();
    }
  });
});

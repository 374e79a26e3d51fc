import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  classifyDependencyError,
  createDatabase,
  DependencyWaiter,
  type Migration,
  PlatformErrors,
  runMigrations,
  silentLogger,
} from "../src/index.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing/index.ts";

const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.drop()));
});

async function open(name: string) {
  const db = await createTestDatabase(name, process.env);
  opened.push(db);
  return db;
}

const migrations: Migration[] = [
  {
    name: "0001-create-widgets",
    up: (knex) =>
      knex.schema.createTable("widgets", (table) => {
        table.uuid("id").primary();
        table.text("name").notNullable();
      }),
  },
  {
    name: "0002-add-widget-colour",
    up: (knex) => knex.schema.alterTable("widgets", (table) => table.text("colour")),
  },
];

describe("database and migrations", () => {
  it("uses the back end the environment selects", async () => {
    const db = await open("backend switch");
    expect(db.kind).toBe(process.env.DATABASE_URL ? "postgres" : "embedded");
    const { rows } = await db.knex.raw("select current_schema() as schema");
    expect(rows[0].schema).toBe(db.schema);
  });

  it("applies migrations in order once; a second run applies nothing", async () => {
    const db = await open("migrations once");
    expect(await runMigrations(db, migrations)).toEqual([
      "0001-create-widgets",
      "0002-add-widget-colour",
    ]);
    expect(await runMigrations(db, migrations)).toEqual([]);
    await db.knex("widgets").insert({ id: crypto.randomUUID(), name: "a", colour: "red" });
    expect(await db.knex("widgets").count({ n: "*" })).toEqual([{ n: expect.anything() }]);
  });

  it("reports affected rows of update and delete the same on both back ends", async () => {
    const db = await open("affected rows");
    await runMigrations(db, migrations);
    await db.knex("widgets").insert([
      { id: crypto.randomUUID(), name: "a" },
      { id: crypto.randomUUID(), name: "a" },
      { id: crypto.randomUUID(), name: "b" },
    ]);
    expect(await db.knex("widgets").where({ name: "a" }).update({ colour: "red" })).toBe(2);
    expect(await db.knex("widgets").where({ name: "a" }).delete()).toBe(2);
    expect(await db.knex("widgets").where({ name: "zzz" }).delete()).toBe(0);
  });

  it("refuses a migration list that is out of order", async () => {
    const db = await open("migrations out of order");
    const reversed = [...migrations].reverse();
    await expect(runMigrations(db, reversed)).rejects.toMatchObject({
      code: "MIGRATION_FAILED",
      message: expect.stringContaining(
        '"0001-create-widgets" comes after "0002-add-widget-colour"',
      ),
    });
  });

  it("rolls back a failing migration and says which schema", async () => {
    const db = await open("migration fails");
    const broken: Migration[] = [
      ...migrations,
      { name: "0003-broken", up: (knex) => knex.raw("select * from no_such_table") },
    ];
    const attempt = runMigrations(db, broken);
    await expect(attempt).rejects.toSatisfy(PlatformErrors.is);
    await expect(attempt).rejects.toThrow(/A migration in schema .* failed/);
  });

  it.runIf(process.env.DATABASE_URL)(
    "lets several replicas migrate the same schema at once (real Postgres)",
    async () => {
      const first = await open("concurrent migrations");
      const { createDatabase } = await import("../src/index.ts");
      const replicas = await Promise.all(
        [1, 2, 3].map(() =>
          createDatabase({ databaseUrl: process.env.DATABASE_URL, schema: first.schema }),
        ),
      );
      try {
        const applied = await Promise.all(
          replicas.map((replica) => runMigrations(replica, migrations)),
        );
        expect(applied.flat().sort()).toEqual(["0001-create-widgets", "0002-add-widget-colour"]);
      } finally {
        await Promise.all(replicas.map((replica) => replica.close()));
      }
    },
  );
});

/**
 * A stand-in for a database host in trouble: it accepts connections and, while `hung`, never
 * answers them (a failover in progress, a black-holed route); otherwise it passes them through
 * to the real server.
 */
async function hangingProxy(target: URL) {
  const sockets = new Set<Socket>();
  const state = { hung: true, connections: 0 };
  const server: Server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    if (state.hung) return;
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    state,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.runIf(process.env.DATABASE_URL)("a database that accepts and never answers", () => {
  it("fails the connect after the connect timeout, as a failure start-up waits out", async () => {
    const proxy = await hangingProxy(new URL(process.env.DATABASE_URL as string));
    try {
      const attempt = createDatabase({ databaseUrl: proxy.url, connectTimeoutMs: 200 });
      const error = await attempt.then(
        () => undefined,
        (cause: unknown) => cause,
      );
      expect(PlatformErrors.is(error)).toBe(true);
      expect(error).toMatchObject({ code: "DATABASE_UNAVAILABLE" });
      expect(classifyDependencyError(error)).toEqual({ transient: true, reason: "timed out" });
      expect(proxy.state.connections).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it("lets start-up go on once the server answers again", async () => {
    const proxy = await hangingProxy(new URL(process.env.DATABASE_URL as string));
    const waiter = new DependencyWaiter({
      logger: silentLogger(),
      initialDelayMs: 10,
      maxDelayMs: 20,
    });
    const reasons: string[] = [];
    try {
      const db = await waiter.waitFor("database", async () => {
        if (waiter.waiting) {
          reasons.push(waiter.waiting.reason);
          // The failover is over: connections reach the server from now on.
          proxy.state.hung = false;
        }
        return createDatabase({ databaseUrl: proxy.url, connectTimeoutMs: 200 });
      });
      try {
        const { rows } = await db.knex.raw("select 1 as one");
        expect(rows).toEqual([{ one: 1 }]);
      } finally {
        await db.close();
      }
      expect(reasons).toEqual(["timed out"]);
    } finally {
      await proxy.close();
    }
  });
});

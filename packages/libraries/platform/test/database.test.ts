import { afterEach, describe, expect, it } from "vitest";
import { type Migration, PlatformErrors, runMigrations } from "../src/index.ts";
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

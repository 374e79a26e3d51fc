import { customer } from "@sagaworks/contracts";
import { createTestDatabase, type TestDatabase } from "@sagaworks/platform/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createCustomerStore, prepareCustomerDatabase, seedCustomers } from "../src/index.ts";
import { type CustomerServer, startCustomerServer } from "./customer-server.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function openDb(name: string): Promise<TestDatabase> {
  const db = await createTestDatabase(name, process.env);
  cleanups.push(() => db.drop());
  return db;
}

async function startServer(name: string): Promise<CustomerServer> {
  const server = await startCustomerServer(name, { seed: true });
  cleanups.push(() => server.close());
  return server;
}

const seedIds = seedCustomers.map((c) => c.id);

describe("seed customers", () => {
  it("are the stable ids other services use, valid by the contract, one suspended", () => {
    expect(seedIds).toEqual(
      expect.arrayContaining(["cust-ada", "cust-grace", "cust-alan", "cust-linus"]),
    );
    for (const seed of seedCustomers) customer.strict().parse(seed);
    expect(seedCustomers.filter((c) => c.status === "SUSPENDED").map((c) => c.id)).toEqual([
      "cust-linus",
    ]);
    expect(new Set(seedCustomers.map((c) => c.creditLimitCents)).size).toBe(seedCustomers.length);
  });

  it("are served over HTTP after a seeded start", async () => {
    const server = await startServer("seed served");
    for (const seed of seedCustomers) {
      const response = await server.call("GET", `/customers/${seed.id}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual(seed);
    }
  });

  it("seeding twice is idempotent: nothing is written the second time", async () => {
    const db = await openDb("seed twice");
    const first = await prepareCustomerDatabase(db);
    expect(first.migrationsApplied).toEqual(["0001-create-customers"]);
    expect(first.seeded).toEqual({ inserted: seedIds, updated: [], unchanged: [] });
    const before = await db.knex("customers").orderBy("id");

    const second = await prepareCustomerDatabase(db);
    expect(second).toEqual({
      migrationsApplied: [],
      seeded: { inserted: [], updated: [], unchanged: seedIds },
    });
    expect(await db.knex("customers").orderBy("id")).toEqual(before);
  });

  it("restores a changed seed customer and leaves other customers alone", async () => {
    const db = await openDb("seed restores");
    await prepareCustomerDatabase(db);
    const store = createCustomerStore(db);
    await store.update("cust-alan", { creditLimitCents: 1, status: "SUSPENDED" });
    await store.create({
      id: "cust-extra",
      name: "Extra",
      email: "extra@example.com",
      creditLimitCents: 5,
      status: "ACTIVE",
    });

    const again = await prepareCustomerDatabase(db);
    expect(again.seeded?.updated).toEqual(["cust-alan"]);
    expect(await store.get("cust-alan")).toMatchObject(
      seedCustomers.find((c) => c.id === "cust-alan") ?? {},
    );
    expect(await store.get("cust-extra")).toMatchObject({ creditLimitCents: 5 });
  });

  it("does nothing with seed: false", async () => {
    const db = await openDb("seed off");
    expect(await prepareCustomerDatabase(db, { seed: false })).toEqual({
      migrationsApplied: ["0001-create-customers"],
    });
    expect(await createCustomerStore(db).list({ limit: 10 })).toEqual([]);
  });

  it("fails with CUSTOMER_SEED_FAILED when another customer holds a seed email", async () => {
    const db = await openDb("seed conflict");
    await prepareCustomerDatabase(db, { seed: false });
    await createCustomerStore(db).create({
      id: "cust-impostor",
      name: "Impostor",
      email: "ADA@example.com",
      creditLimitCents: 0,
      status: "ACTIVE",
    });
    await expect(prepareCustomerDatabase(db)).rejects.toMatchObject({
      code: "CUSTOMER_SEED_FAILED",
      message: expect.stringContaining("CUSTOMER_SEED=false"),
    });
    // All or nothing: the other seed customers were not half-written.
    expect(await createCustomerStore(db).get("cust-grace")).toBeUndefined();
  });
});

// Every route of the customer API refuses a missing or wrong credential, and writes refuse the
// read token (a write left open would let anyone change the service's data).
import { runMigrations, silentLogger } from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase } from "@sagaworks/platform/testing";
import { probeRouteAuth, testServiceAuth } from "@sagaworks/service-kit/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createCustomerApp, customerMigrations } from "../src/index.ts";

let db: TestDatabase | undefined;
afterAll(async () => {
  await db?.drop();
});

describe("the customer API's credentials", () => {
  it("answers 401 on every route without a credential, with a wrong one, and writes with the read token", async () => {
    db = await createTestDatabase("customer auth", process.env);
    await runMigrations(db, customerMigrations);
    const app = await createCustomerApp({ db, logger: silentLogger(), auth: testServiceAuth });
    try {
      const probes = await probeRouteAuth(app, testServiceAuth);
      expect([...new Set(probes.map((probe) => probe.route))].sort()).toEqual([
        "GET /customers",
        "GET /customers/{id}",
        "GET /customers/{id}/fraud-check",
        "PATCH /customers/{id}",
        "POST /customers",
      ]);
      expect(probes.filter((probe) => probe.status !== 401)).toEqual([]);
      // The right token gets past the check (a 4xx about the request itself, or a 200).
      const read = await app.inject({
        method: "GET",
        url: "/customers",
        headers: { authorization: `Bearer ${testServiceAuth.readToken}` },
      });
      expect(read.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

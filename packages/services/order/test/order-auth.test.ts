// Every route of the order API refuses a missing or wrong credential, and writes refuse the
// read token (a write left open would let anyone change the service's data).
import { runMigrations, silentLogger } from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase } from "@sagaworks/platform/testing";
import { probeRouteAuth, testServiceAuth } from "@sagaworks/service-kit/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createOrderApp, orderMigrations } from "../src/index.ts";

let db: TestDatabase | undefined;
afterAll(async () => {
  await db?.drop();
});

describe("the order API's credentials", () => {
  it("answers 401 on every route without a credential, with a wrong one, and writes with the read token", async () => {
    db = await createTestDatabase("order auth", process.env);
    await runMigrations(db, orderMigrations);
    const app = await createOrderApp({ db, logger: silentLogger(), auth: testServiceAuth });
    try {
      const probes = await probeRouteAuth(app, testServiceAuth);
      expect([...new Set(probes.map((probe) => probe.route))].sort()).toEqual([
        "GET /orders",
        "GET /orders/{id}",
        "PATCH /orders/{id}",
      ]);
      expect(probes.filter((probe) => probe.status !== 401)).toEqual([]);
      // The right token gets past the check (a 4xx about the request itself, or a 200).
      const read = await app.inject({
        method: "GET",
        url: "/orders",
        headers: { authorization: `Bearer ${testServiceAuth.readToken}` },
      });
      expect(read.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

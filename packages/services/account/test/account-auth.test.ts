// Every route of the account API refuses a missing or wrong credential, and writes refuse the
// read token (a write left open would let anyone change the service's data).
import { runMigrations, silentLogger } from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase } from "@sagaworks/platform/testing";
import { probeRouteAuth, testServiceAuth } from "@sagaworks/service-kit/testing";
import { afterAll, describe, expect, it } from "vitest";
import { accountMigrations, createAccountApp } from "../src/index.ts";

let db: TestDatabase | undefined;
afterAll(async () => {
  await db?.drop();
});

describe("the account API's credentials", () => {
  it("answers 401 on every route without a credential, with a wrong one, and writes with the read token", async () => {
    db = await createTestDatabase("account auth", process.env);
    await runMigrations(db, accountMigrations);
    const app = await createAccountApp({ db, logger: silentLogger(), auth: testServiceAuth });
    try {
      const probes = await probeRouteAuth(app, testServiceAuth);
      expect([...new Set(probes.map((probe) => probe.route))].sort()).toEqual([
        "GET /accounts",
        "GET /accounts/{customerId}",
        "POST /accounts",
      ]);
      expect(probes.filter((probe) => probe.status !== 401)).toEqual([]);
      // The right token gets past the check (a 4xx about the request itself, or a 200).
      const read = await app.inject({
        method: "GET",
        url: "/accounts",
        headers: { authorization: `Bearer ${testServiceAuth.readToken}` },
      });
      expect(read.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

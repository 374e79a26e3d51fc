// The credential test every service's HTTP API runs, as a vitest suite: each service says only
// what differs (its app, its schema, its routes). A write left open would let anyone change the
// service's data, so every route is probed, not a sample.
import {
  type Database,
  type Logger,
  type Migration,
  runMigrations,
  silentLogger,
} from "@sagaworks/platform";
import { createTestDatabase, type TestDatabase } from "@sagaworks/platform/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { ServiceApp } from "../service-app.ts";
import type { ServiceAuth } from "../service-auth.ts";
import { probeRouteAuth } from "./route-auth.ts";
import { testServiceAuth } from "./service-auth.ts";

/** What {@link describeRouteAuth} needs to know of one service. */
export interface RouteAuthSuite {
  /** The service's name: in the suite's title and its test database's name. */
  service: string;
  /** The migrations the app's schema needs. */
  migrations: readonly Migration[];
  /** Builds the service's app (not listening) over the migrated database. */
  createApp(deps: { db: Database; logger: Logger; auth: ServiceAuth }): Promise<ServiceApp>;
  /** Every protected route of the app's OpenAPI document, `METHOD /path`, sorted. */
  routes: readonly string[];
  /** A read that answers 200 to the read token on an empty database. */
  readPath: string;
}

/**
 * Declares the suite `the <service> API's credentials`: over a fresh migrated database, every
 * documented route answers 401 without a credential and with a wrong one, every write answers 401
 * to the read token, and the read token does get `readPath` (so the check is not refusing all).
 */
export function describeRouteAuth(suite: RouteAuthSuite): void {
  describe(`the ${suite.service} API's credentials`, () => {
    let db: TestDatabase | undefined;
    afterAll(async () => {
      await db?.drop();
    });

    it("answers 401 on every route without a credential, with a wrong one, and writes with the read token", async () => {
      db = await createTestDatabase(`${suite.service} auth`, process.env);
      await runMigrations(db, suite.migrations);
      const app = await suite.createApp({ db, logger: silentLogger(), auth: testServiceAuth });
      try {
        const probes = await probeRouteAuth(app, testServiceAuth);
        expect([...new Set(probes.map((probe) => probe.route))].sort()).toEqual(suite.routes);
        expect(probes.filter((probe) => probe.status !== 401)).toEqual([]);
        // The right token gets past the check (a 4xx about the request itself, or a 200).
        const read = await app.inject({
          method: "GET",
          url: suite.readPath,
          headers: { authorization: `Bearer ${testServiceAuth.readToken}` },
        });
        expect(read.statusCode).toBe(200);
      } finally {
        await app.close();
      }
    });
  });
}

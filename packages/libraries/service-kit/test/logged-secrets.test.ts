// A service at debug level, on the request paths that see a bearer token or the database URL:
// a refused token, a route that fails with an error quoting both, a readiness check on a pool that
// is gone. The captured output must hold none of them, yet still each failure.
import { Writable } from "node:stream";
import { createDatabase, createLogger } from "@sagaworks/platform";
import { describe, expect, it } from "vitest";
import { createServiceApp } from "../src/index.ts";

const WRITE_TOKEN = `write-${crypto.randomUUID()}`;
const WRONG_TOKEN = `wrong-${crypto.randomUUID()}`;
const PASSWORD = `pw-${crypto.randomUUID()}`;

describe("a service's log lines at debug level", () => {
  it("hold no bearer token and no database password on 401s, failed routes and failed readiness", async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    const logger = createLogger({ name: "svc", level: "debug", destination });
    const databaseUrl = process.env.DATABASE_URL
      ? Object.assign(new URL(process.env.DATABASE_URL), { password: PASSWORD }).toString()
      : undefined;
    const db = await createDatabase({ databaseUrl, logger });
    const app = await createServiceApp({
      logger,
      title: "secrets",
      db,
      auth: { writeToken: WRITE_TOKEN },
    });
    app.post("/fail", async (request) => {
      throw new Error(
        `upstream refused ${request.headers.authorization} for ${databaseUrl ?? `postgres://u:${PASSWORD}@h/x`}`,
      );
    });
    try {
      const refused = await app.inject({
        method: "POST",
        url: "/fail",
        headers: { authorization: `Bearer ${WRONG_TOKEN}` },
      });
      expect(refused.statusCode).toBe(401);
      const failed = await app.inject({
        method: "POST",
        url: "/fail",
        headers: { authorization: `Bearer ${WRITE_TOKEN}` },
      });
      expect(failed.statusCode).toBe(500);
      await db.close();
      expect((await app.inject({ method: "GET", url: "/ready" })).statusCode).toBe(503);
    } finally {
      await app.close();
    }
    const leaks = lines.filter((line) =>
      [WRITE_TOKEN, WRONG_TOKEN, PASSWORD].some((secret) => line.includes(secret)),
    );
    expect(leaks).toEqual([]);
    const logged = lines.map(
      (line) => JSON.parse(line) as { msg: string; err?: { message: string } },
    );
    const routeFailed = logged.find((line) => line.msg === "route failed");
    expect(routeFailed?.err?.message).toMatch(/^upstream refused Bearer \[redacted\] for /);
    expect(logged.some((line) => line.msg === "readiness check: database unreachable")).toBe(true);
    expect(logged.some((line) => line.msg === "incoming request")).toBe(true);
  });
});

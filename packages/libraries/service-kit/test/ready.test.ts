import { silentLogger } from "@sagaworks/platform";
import { createTestDatabase } from "@sagaworks/platform/testing";
import { describe, expect, it } from "vitest";
import { createServiceApp } from "../src/index.ts";

describe("/ready against a real database", () => {
  it("is 200 while the database answers and 503 once it is gone", async () => {
    const db = await createTestDatabase("service kit ready", process.env);
    const app = await createServiceApp({ logger: silentLogger(), title: "ready", db });
    try {
      expect((await app.inject({ method: "GET", url: "/ready" })).statusCode).toBe(200);
      await db.drop();
      const gone = await app.inject({ method: "GET", url: "/ready" });
      expect(gone.statusCode).toBe(503);
      expect(gone.json()).toMatchObject({ status: "database unreachable", dependency: "database" });
    } finally {
      await app.close();
    }
  });
});

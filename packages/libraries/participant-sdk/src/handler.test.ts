import { describe, expect, it } from "vitest";
import { failedPayloadSql, sql } from "./handler.ts";

describe("sql", () => {
  it("binds every value as a parameter, in order, and inlines nested fragments with theirs", () => {
    const inner = sql`b = ${2}::int`;
    const fragment = sql`SELECT 1 WHERE a = ${"x'; DROP TABLE t; --"}::text AND ${inner} AND c = ${null}`;
    expect(fragment).toEqual({
      sql: "SELECT 1 WHERE a = ?::text AND b = ?::int AND c = ?",
      bindings: ["x'; DROP TABLE t; --", 2, null],
    });
  });

  it("builds a failure's payload from a fixed message or from SQL", () => {
    expect(failedPayloadSql("GATE_CLOSED", "closed")).toEqual({
      sql: "jsonb_build_object('code', ?::text, 'message', ?::text)",
      bindings: ["GATE_CLOSED", "closed"],
    });
    expect(failedPayloadSql("GATE_CLOSED", sql`format('%s', g.id)`).sql).toBe(
      "jsonb_build_object('code', ?::text, 'message', format('%s', g.id))",
    );
  });
});

import { SagaworksError } from "@sagaworks/errors";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { cursorText, cursorTimestamp, decodePageCursor, encodePageCursor } from "./page-cursor.ts";

const position = z.tuple([cursorTimestamp, cursorText]);
const at = new Date("2026-01-02T03:04:05.678Z");

function refusal(cursor: string): unknown {
  try {
    decodePageCursor(cursor, "orders", position);
  } catch (error) {
    return error instanceof SagaworksError ? { status: error.status, code: error.code } : error;
  }
  return "accepted";
}

describe("page cursors", () => {
  it("round-trips a position of the list that made it", () => {
    const cursor = encodePageCursor("orders", [at.toISOString(), "order-1"]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageCursor(cursor, "orders", position)).toEqual([at, "order-1"]);
  });

  it("refuses anything else with 400 CURSOR_INVALID", () => {
    const crafted = [
      "",
      "garbage!",
      Buffer.from("not json").toString("base64url"),
      Buffer.from('{"at":"2026-01-01"}').toString("base64url"),
      encodePageCursor("accounts", [at.toISOString(), "order-1"]),
      encodePageCursor("orders", ["-271821-04-20T00:00:00.000Z", "order-1"]),
      encodePageCursor("orders", ["2026-02-30T00:00:00.000Z", "x"].slice(0, 1)),
      encodePageCursor("orders", [at.toISOString(), "a\u0000b"]),
      encodePageCursor("orders", [at.toISOString(), "\ud800"]),
      encodePageCursor("orders", [at.toISOString(), "x".repeat(201)]),
      encodePageCursor("orders", [at.toISOString(), 7]),
      `${encodePageCursor("orders", [at.toISOString(), "order-1"])}=`,
    ];
    for (const cursor of crafted) {
      expect({ cursor, refusal: refusal(cursor) }).toEqual({
        cursor,
        refusal: { status: 400, code: "CURSOR_INVALID" },
      });
    }
  });
});

import { SagaworksError } from "@sagaworks/errors";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  cursorText,
  cursorTimestamp,
  decodePageCursor,
  definePageCursor,
  encodePageCursor,
  pageOf,
  textKeyPageCursor,
} from "./page-cursor.ts";

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

  it("maps an item to its position and back through a defined cursor", () => {
    const cursor = definePageCursor("orders", position, {
      toPosition: (last: { createdAt: Date; id: string }) => [
        last.createdAt.toISOString(),
        last.id,
      ],
      fromPosition: ([createdAt, id]) => ({ createdAt, id }),
    });
    expect(cursor.decode(cursor.encode({ createdAt: at, id: "order-1" }))).toEqual({
      createdAt: at,
      id: "order-1",
    });
    expect(() => cursor.decode(textKeyPageCursor("orders").encode("order-1"))).toThrow(
      expect.objectContaining({ code: "CURSOR_INVALID" }),
    );
  });

  it("round-trips a text key, and refuses what it did not produce", () => {
    const cursor = textKeyPageCursor("customers");
    for (const id of ["cust-ada", "a", "0b9e…-ünïcode", crypto.randomUUID()]) {
      expect(cursor.decode(cursor.encode(id))).toBe(id);
    }
    const foreign = ["", "!!!", "aWQ6", Buffer.from("cust-ada").toString("base64url")];
    for (const text of [...foreign, textKeyPageCursor("accounts").encode("cust-ada")]) {
      expect(() => cursor.decode(text)).toThrow(
        expect.objectContaining({ code: "CURSOR_INVALID" }),
      );
    }
  });
});

describe("pageOf", () => {
  const next = (last: number) => `after-${last}`;

  it("keeps limit items and names the next page when the extra row is there", () => {
    expect(pageOf([1, 2, 3], 2, (n) => n * 10, next)).toEqual({
      items: [10, 20],
      nextCursor: "after-2",
    });
  });

  it("has no next page when no extra row came back", () => {
    expect(pageOf([1, 2], 2, (n) => n, next)).toEqual({ items: [1, 2], nextCursor: null });
    expect(pageOf([], 2, (n: number) => n, next)).toEqual({ items: [], nextCursor: null });
  });
});

import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./page-cursor.ts";

describe("page cursor", () => {
  it("round-trips an id", () => {
    for (const id of ["cust-ada", "a", "0b9e…-ünïcode", crypto.randomUUID()]) {
      expect(decodeCursor(encodeCursor(id))).toBe(id);
    }
  });

  it("refuses what it did not produce", () => {
    for (const cursor of ["", "!!!", "aWQ6", Buffer.from("cust-ada").toString("base64url")]) {
      expect(() => decodeCursor(cursor)).toThrow(
        expect.objectContaining({ code: "CURSOR_INVALID" }),
      );
    }
  });
});

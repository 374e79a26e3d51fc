import { describe, expect, it } from "vitest";
import { randomHex } from "./random-hex.ts";

describe("randomHex", () => {
  it("gives lowercase hex of the length asked, never the same bytes twice, across refills", () => {
    const seen = new Set<string>();
    // Past several refills of the pool, with sizes that do not divide it.
    for (let i = 0; i < 3000; i++) {
      const hex = randomHex(i % 2 === 0 ? 8 : 16);
      expect(hex).toMatch(i % 2 === 0 ? /^[0-9a-f]{16}$/ : /^[0-9a-f]{32}$/);
      seen.add(hex);
    }
    expect(seen.size).toBe(3000);
  });
});

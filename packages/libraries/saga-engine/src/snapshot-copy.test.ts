import { describe, expect, it } from "vitest";
import { copyJson } from "./snapshot-copy.ts";

class Money {
  readonly cents: number;
  constructor(cents: number) {
    this.cents = cents;
  }
}

describe("copyJson", () => {
  it("copies JSON data as structuredClone does: equal, in the same key order, sharing nothing", () => {
    const snapshot = {
      sagaId: "s-1",
      seq: 3,
      input: { items: [{ sku: "a", qty: 2 }, null, [1, [2]]], note: "é😀", zero: -0 },
      steps: { reserve: { status: "succeeded", output: { ok: true }, error: undefined } },
      failure: null,
    };
    const copy = copyJson(snapshot);
    expect(copy).toStrictEqual(structuredClone(snapshot));
    expect(JSON.stringify(copy)).toBe(JSON.stringify(snapshot));
    expect(Object.keys(copy.steps.reserve)).toEqual(["status", "output", "error"]);
    expect(Object.is(copy.input.zero, -0)).toBe(true);
    copy.input.items[0] = { sku: "b", qty: 1 };
    copy.steps.reserve.output.ok = false;
    expect(snapshot.input.items[0]).toEqual({ sku: "a", qty: 2 });
    expect(snapshot.steps.reserve.output.ok).toBe(true);
  });

  it("keeps an own __proto__ key as a field, not a prototype", () => {
    const parsed = JSON.parse('{"a":{"__proto__":{"polluted":true},"b":1}}');
    const copy = copyJson(parsed);
    expect(Object.getPrototypeOf(copy.a)).toBe(Object.prototype);
    expect(Object.keys(copy.a)).toEqual(["__proto__", "b"]);
    expect(copy.a).toStrictEqual(structuredClone(parsed).a);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("leaves what is not JSON data to structuredClone", () => {
    const holey: unknown[] = [1];
    holey[2] = 3;
    const named = Object.assign([1, 2], { extra: "x" });
    const value = {
      at: new Date(0),
      map: new Map([["k", 1]]),
      money: new Money(5),
      bare: Object.assign(Object.create(null), { a: 1 }),
      holey,
      named,
    };
    expect(copyJson(value)).toStrictEqual(structuredClone(value));
    expect(copyJson(value).at).toBeInstanceOf(Date);
    expect(Object.getPrototypeOf(copyJson(value).bare)).toBe(Object.prototype);
    expect(1 in copyJson(value).holey).toBe(false);
    expect(copyJson(value).named).toHaveProperty("extra", "x");
    expect(() => copyJson({ run: () => 1 })).toThrow(/could not be cloned/);
  });
});

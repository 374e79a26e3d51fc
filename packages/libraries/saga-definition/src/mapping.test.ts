import { describe, expect, it } from "vitest";
import { compileMapping, evaluateMapping, literalByteSize, parseMappingString } from "./mapping.ts";

describe("mapping strings", () => {
  it("reads paths into segments", () => {
    expect(parseMappingString("$.input.items[0].sku")).toEqual({
      kind: "path",
      segments: ["input", "items", 0, "sku"],
    });
    expect(parseMappingString("$.steps.create-order.reply.orderId")).toEqual({
      kind: "path",
      segments: ["steps", "create-order", "reply", "orderId"],
    });
  });

  it("keeps plain strings and unescapes $$", () => {
    expect(parseMappingString("hello")).toEqual({ kind: "literal", value: "hello" });
    expect(parseMappingString("$$5 off")).toEqual({ kind: "literal", value: "$5 off" });
  });

  it("flags a $ that is neither a path nor escaped, and bad path syntax", () => {
    expect(parseMappingString("$input").kind).toBe("unescaped");
    expect(parseMappingString("$").kind).toBe("unescaped");
    expect(parseMappingString("$.input..x").kind).toBe("invalid-path");
    expect(parseMappingString("$.input[x]").kind).toBe("invalid-path");
  });
});

describe("compiled mappings", () => {
  it("keeps literal subtrees whole and turns paths into refs", () => {
    const expr = compileMapping({ a: "$.input.x", b: { c: 1, d: "$$x" }, e: ["$.sagaId", 2] });
    expect(expr).toEqual({
      object: {
        a: { ref: ["input", "x"] },
        b: { literal: { c: 1, d: "$x" } },
        e: { array: [{ ref: ["sagaId"] }, { literal: 2 }] },
      },
    });
  });

  it("evaluates against a saga context", () => {
    const expr = compileMapping({
      id: "$.sagaId",
      sku: "$.input.items[1].sku",
      missing: "$.input.nope",
    });
    const context = { sagaId: "s-1", input: { items: [{ sku: "a" }, { sku: "b" }] } };
    expect(evaluateMapping(expr, context)).toEqual({ id: "s-1", sku: "b" });
  });

  it("counts only literal bytes", () => {
    expect(literalByteSize({ a: "$.input.a-very-long-path-name" })).toBe(
      literalByteSize({ a: "" }),
    );
    expect(literalByteSize({ a: "é" })).toBe(10);
  });
});

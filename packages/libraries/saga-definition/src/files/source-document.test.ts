import { describe, expect, it } from "vitest";
import { createLineIndex, parseSourceDocument } from "./source-document.ts";

describe("parsing definition text", () => {
  it("reports malformed JSON with line and column", () => {
    const text = '{\n  "name": "x",\n  "version": 1\n  "steps": []\n}\n';
    const result = parseSourceDocument(text, "x.saga.json");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]).toMatchObject({
      code: "SAGA_JSON_MALFORMED",
      file: "x.saga.json",
      line: 4,
      column: 3,
    });
    expect(result.problems[0]?.message).toContain('add ","');
  });

  it("refuses comments, trailing commas and empty files", () => {
    for (const text of ['{ "a": 1, }', '{ // c\n "a": 1 }', "", "  "]) {
      const result = parseSourceDocument(text, "f");
      expect(result.ok, text).toBe(false);
    }
  });

  it("reports duplicate keys at the second key", () => {
    const result = parseSourceDocument('{\n  "a": 1,\n  "a": 2\n}', "f");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]).toMatchObject({
      code: "SAGA_JSON_DUPLICATE_KEY",
      line: 3,
      column: 3,
    });
  });

  it("locates JSON paths at their key, falling back to the nearest ancestor", () => {
    const text = '{\n  "steps": [\n    { "name": "a" },\n    {\n      "pivot": true\n    }\n  ]\n}';
    const result = parseSourceDocument(text, "f");
    if (!result.ok) throw new Error("should parse");
    const { locate, value } = result.document;
    expect(value).toEqual({ steps: [{ name: "a" }, { pivot: true }] });
    expect(locate(["steps", 1, "pivot"])).toEqual({ line: 5, column: 7 });
    expect(locate(["steps", 0])).toEqual({ line: 3, column: 5 });
    expect(locate(["steps", 1, "compensation", "payload"])).toEqual({ line: 4, column: 5 });
    expect(locate([])).toEqual({ line: 1, column: 1 });
  });

  it("maps offsets to lines and columns", () => {
    const at = createLineIndex("ab\ncd\n\nx");
    expect(at(0)).toEqual({ line: 1, column: 1 });
    expect(at(4)).toEqual({ line: 2, column: 2 });
    expect(at(7)).toEqual({ line: 4, column: 1 });
  });

  it("says an empty file is empty, names a BOM, and counts one trailing comma as one problem (issue 9 point 10)", () => {
    for (const text of ["", "  \n"]) {
      const result = parseSourceDocument(text, "f");
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]?.message).toContain("the file is empty");
    }
    const bom = parseSourceDocument('\uFEFF{ "a": 1 }', "f");
    expect(bom.ok).toBe(false);
    if (!bom.ok) expect(bom.problems[0]?.message).toContain("byte-order mark");
    const comma = parseSourceDocument('{\n  "a": 1,\n}', "f");
    expect(comma.ok).toBe(false);
    if (!comma.ok) expect(comma.problems).toMatchObject([{ line: 3, column: 1 }]);
  });
});

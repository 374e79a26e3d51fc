import { describe, expect, it } from "vitest";
import { formatAge, listing, parseDuration, table } from "./format.ts";

describe("format", () => {
  it("parses durations and refuses what is not one", () => {
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("10 minutes")).toBeUndefined();
    expect(parseDuration("-1s")).toBeUndefined();
  });

  it("shows ages in the largest sensible unit", () => {
    expect(formatAge(45_000)).toBe("45s");
    expect(formatAge(12 * 60_000)).toBe("12m");
    expect(formatAge(3 * 3_600_000)).toBe("3h");
    expect(formatAge(3 * 86_400_000)).toBe("3d");
  });

  it("aligns columns", () => {
    expect(table(["a", "bb"], [["xxx", "y"]])).toBe("a    bb\nxxx  y\n");
  });

  it("lists rows as JSON, as a line saying there are none, or as a table", () => {
    const rows = [{ id: "xxx", n: 1 }];
    const options = {
      empty: "none",
      header: ["a", "bb"],
      cells: (r: (typeof rows)[number]) => [r.id, String(r.n)],
    };
    expect(listing(rows, { ...options, json: true })).toBe(`${JSON.stringify(rows, null, 2)}\n`);
    expect(listing([], { ...options, json: false })).toBe("none\n");
    expect(listing(rows, { ...options, json: undefined })).toBe("a    bb\nxxx  1\n");
  });
});

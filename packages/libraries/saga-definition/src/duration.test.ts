import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.ts";

describe("durations", () => {
  it.each([
    ["250ms", 250],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["7d", 604_800_000],
    ["1d2h3m4s5ms", 93_784_005],
  ])("parses %s to %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it.each(["", "5", "m5", "5 m", "1m1h", "1.5s", "-1s", "5mm", "1w"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it("formats the shortest form", () => {
    expect(formatDuration(90_000)).toBe("1m30s");
    expect(formatDuration(0)).toBe("0s");
  });
});

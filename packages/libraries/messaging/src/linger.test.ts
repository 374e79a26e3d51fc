import { describe, expect, it } from "vitest";
import { AdaptiveLinger } from "./linger.ts";

describe("the adaptive linger", () => {
  it("sends at once before it has seen any pace, and when entries are sparse", () => {
    const linger = new AdaptiveLinger({ maxMs: 5 });
    expect(linger.delayMs(1)).toBe(0);
    // One saga at a time: commits 40 ms apart.
    for (let at = 0; at <= 400; at += 40) linger.arrived(1, at);
    expect(linger.delayMs(1)).toBe(0);
  });

  it("waits, at most maxMs, when commits come closer together than maxMs", () => {
    const linger = new AdaptiveLinger({ maxMs: 5 });
    for (let at = 0; at <= 20; at += 1) linger.arrived(1, at);
    // Pace of 1 ms: nine more rows would take 9 ms; the cap is 5.
    expect(linger.delayMs(1)).toBe(5);
    // Eight waiting: two more at 1 ms each.
    expect(linger.delayMs(8)).toBeCloseTo(2, 5);
  });

  it("never holds a full batch", () => {
    const linger = new AdaptiveLinger({ maxMs: 5 });
    for (let at = 0; at <= 10; at += 0.5) linger.arrived(1, at);
    expect(linger.delayMs(10)).toBe(0);
    expect(linger.delayMs(25)).toBe(0);
  });

  it("counts rows of one commit as arriving together", () => {
    const linger = new AdaptiveLinger({ maxMs: 5 });
    // Three rows per commit, 6 ms apart: one row every 2 ms.
    for (let at = 0; at <= 60; at += 6) linger.arrived(3, at);
    expect(linger.delayMs(9)).toBeCloseTo(2, 5);
  });

  it("goes back to sending at once after the load stops", () => {
    const linger = new AdaptiveLinger({ maxMs: 5 });
    for (let at = 0; at <= 20; at += 1) linger.arrived(1, at);
    expect(linger.delayMs(1)).toBeGreaterThan(0);
    for (let at = 1_000; at <= 1_400; at += 100) linger.arrived(1, at);
    expect(linger.delayMs(1)).toBe(0);
  });

  it("is off with maxMs 0", () => {
    const linger = new AdaptiveLinger({ maxMs: 0 });
    for (let at = 0; at <= 5; at += 0.1) linger.arrived(1, at);
    expect(linger.delayMs(1)).toBe(0);
  });
});

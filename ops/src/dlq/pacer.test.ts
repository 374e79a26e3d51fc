import { describe, expect, it } from "vitest";
import { ReplayPacer } from "./pacer.ts";

/** A clock that moves only when the test says so. */
function fakeClock(start = 1_000_000) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

/**
 * Drives the pacer the way the replay does: before each send, wait what it says (here: move the
 * fake clock), then record the send. `workMs` is how long each send itself takes. Returns the
 * clock time of every send.
 */
function sendTimes(pacer: ReplayPacer, clock: ReturnType<typeof fakeClock>, n: number, workMs = 0) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    clock.advance(pacer.delayBeforeSend());
    pacer.sent();
    times.push(clock.now());
    clock.advance(workMs);
  }
  return times;
}

/** The most sends that fall in any window of `windowMs` (a window starting at each send). */
function busiestWindow(times: readonly number[], windowMs: number): number {
  return Math.max(
    ...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length),
  );
}

describe("ReplayPacer ramp", () => {
  it("starts at rampStart and doubles after each batch whose sagas all moved on, up to maxBatch", () => {
    const pacer = new ReplayPacer(
      { ratePerSecond: 5, rampStart: 1, maxBatch: 10 },
      fakeClock().now,
    );
    const sizes = [pacer.batchSize];
    for (let i = 0; i < 6; i++) {
      pacer.settled(pacer.batchSize, pacer.batchSize);
      sizes.push(pacer.batchSize);
    }
    expect(sizes).toEqual([1, 2, 4, 8, 10, 10, 10]);
  });

  it("falls back to rampStart as soon as one replayed saga did not move on or its message came back", () => {
    const pacer = new ReplayPacer(
      { ratePerSecond: 5, rampStart: 2, maxBatch: 16 },
      fakeClock().now,
    );
    pacer.settled(2, 2);
    pacer.settled(4, 4);
    expect(pacer.batchSize).toBe(8);
    // 7 of 8 moved on: one did not (it came back to the DLQ, or is still stuck).
    pacer.settled(7, 8);
    expect(pacer.batchSize).toBe(2);
    // It holds there while batches keep failing, and ramps again from rampStart afterwards.
    pacer.settled(0, 2);
    expect(pacer.batchSize).toBe(2);
    pacer.settled(2, 2);
    expect(pacer.batchSize).toBe(4);
  });

  it("never starts below one message", () => {
    const pacer = new ReplayPacer(
      { ratePerSecond: 5, rampStart: 0, maxBatch: 10 },
      fakeClock().now,
    );
    expect(pacer.batchSize).toBe(1);
    pacer.settled(0, 1);
    expect(pacer.batchSize).toBe(1);
  });
});

describe("ReplayPacer rate cap", () => {
  it("lets the first send go at once, then spaces sends by 1/rate", () => {
    const clock = fakeClock();
    const pacer = new ReplayPacer({ ratePerSecond: 4, rampStart: 1, maxBatch: 10 }, clock.now);
    expect(pacer.delayBeforeSend()).toBe(0);
    pacer.sent();
    expect(pacer.delayBeforeSend()).toBe(250);
    clock.advance(100);
    expect(pacer.delayBeforeSend()).toBe(150);
    clock.advance(150);
    expect(pacer.delayBeforeSend()).toBe(0);
  });

  it.each([1, 3, 5, 20])("never lets more than %i sends into any second", (rate) => {
    const clock = fakeClock();
    const pacer = new ReplayPacer({ ratePerSecond: rate, rampStart: 1, maxBatch: 10 }, clock.now);
    const times = sendTimes(pacer, clock, rate * 6);
    expect(busiestWindow(times, 1000)).toBe(rate);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(1000 / rate);
    }
  });

  it("adds no wait when the sends themselves are slower than the cap", () => {
    const clock = fakeClock();
    const pacer = new ReplayPacer({ ratePerSecond: 5, rampStart: 1, maxBatch: 10 }, clock.now);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      delays.push(pacer.delayBeforeSend());
      pacer.sent();
      clock.advance(300);
    }
    expect(delays).toEqual([0, 0, 0, 0, 0]);
  });

  it("keeps the cap across a ramp to the largest batch", () => {
    const clock = fakeClock();
    const pacer = new ReplayPacer({ ratePerSecond: 2, rampStart: 1, maxBatch: 8 }, clock.now);
    const times: number[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const size = pacer.batchSize;
      times.push(...sendTimes(pacer, clock, size, 10));
      pacer.settled(size, size);
    }
    expect(times).toHaveLength(1 + 2 + 4 + 8 + 8);
    expect(busiestWindow(times, 1000)).toBe(2);
  });

  it("refuses a rate that would never let a message go", () => {
    expect(() => new ReplayPacer({ ratePerSecond: 0, rampStart: 1, maxBatch: 10 })).toThrow(
      RangeError,
    );
  });
});

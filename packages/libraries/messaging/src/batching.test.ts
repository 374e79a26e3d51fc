import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planBatches, sendInBatches } from "./batching.ts";

describe("planBatches", () => {
  it("splits by count", () => {
    expect(planBatches(Array(23).fill(1), 1_000).map((b) => b.length)).toEqual([10, 10, 3]);
  });

  it("splits by bytes", () => {
    expect(planBatches([400, 400, 400, 100, 900], 1_000)).toEqual([[0, 1], [2, 3], [4]]);
  });

  it("keeps order and respects both limits for any sizes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1_000 }), { maxLength: 60 }), (sizes) => {
        const batches = planBatches(sizes, 1_000);
        expect(batches.flat()).toEqual(sizes.map((_, i) => i));
        for (const batch of batches) {
          expect(batch.length).toBeLessThanOrEqual(10);
          expect(batch.reduce((sum, i) => sum + (sizes[i] ?? 0), 0)).toBeLessThanOrEqual(1_000);
        }
      }),
    );
  });
});

describe("sendInBatches", () => {
  it("retries transient per-entry failures and reports sender faults as final", async () => {
    const calls: number[][] = [];
    const report = await sendInBatches({
      sizes: [1, 1, 1],
      maxBytes: 100,
      retryDelayMs: 1,
      call: async (indexes) => {
        calls.push(indexes);
        return {
          successful: indexes
            .filter((i) => i === 0 || (i === 1 && calls.length > 1))
            .map((i) => ({ id: String(i), brokerMessageId: `m${i}` })),
          failed: [
            ...(calls.length === 1 && indexes.includes(1)
              ? [{ id: "1", code: "InternalError", message: "try again", senderFault: false }]
              : []),
            ...(indexes.includes(2)
              ? [{ id: "2", code: "InvalidParameterValue", message: "bad", senderFault: true }]
              : []),
          ],
        };
      },
    });
    expect(calls).toEqual([[0, 1, 2], [1]]);
    expect(report.sent.map((s) => s.index)).toEqual([0, 1]);
    expect(report.failed).toEqual([
      { index: 2, code: "InvalidParameterValue", message: "bad", senderFault: true },
    ]);
  });

  it("fails every entry of a call that keeps throwing, after the attempts", async () => {
    let calls = 0;
    const report = await sendInBatches({
      sizes: [1, 1],
      maxBytes: 100,
      maxAttempts: 2,
      retryDelayMs: 1,
      call: async () => {
        calls++;
        throw Object.assign(new Error("socket hang up"), {
          name: "NetworkError",
          $fault: "server",
        });
      },
    });
    expect(calls).toBe(2);
    expect(report.failed.map((f) => [f.index, f.code])).toEqual([
      [0, "NetworkError"],
      [1, "NetworkError"],
    ]);
  });
});

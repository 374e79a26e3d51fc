import { describe, expect, it } from "vitest";
import { mergePlannedEffects, type PlannedEffects } from "./effects.ts";

const timer = (id: string, at: string) => ({
  id,
  sagaId: "s",
  fireAt: new Date(at),
  event: { type: "saga-deadline" as const },
});
const row = (destination: string) => ({
  saga_id: "s",
  kind: "sqs" as const,
  destination,
  message: { transport: "sqs", body: destination } as never,
});

describe("two transitions' effects written as one", () => {
  it("keeps both transitions' rows in order", () => {
    const first: PlannedEffects = { rows: [row("a")], cancelled: [], scheduled: [] };
    const second: PlannedEffects = { rows: [row("b"), row("c")], cancelled: [], scheduled: [] };
    expect(mergePlannedEffects(first, second).rows.map((r) => r.destination)).toEqual([
      "a",
      "b",
      "c",
    ]);
  });

  it("never writes a timer the first arms and the second cancels, and still deletes it", () => {
    const merged = mergePlannedEffects(
      { rows: [], cancelled: [], scheduled: [timer("t1", "2026-01-01T00:00:05Z")] },
      { rows: [], cancelled: ["t1"], scheduled: [timer("t2", "2026-01-01T00:00:30Z")] },
    );
    expect(merged.scheduled.map((t) => t.id)).toEqual(["t2"]);
    // An armed row from before the first transition (re-armed by it) must go too.
    expect(merged.cancelled).toEqual(["t1"]);
  });

  it("keeps the second's schedule of a timer the first cancelled or armed", () => {
    const merged = mergePlannedEffects(
      {
        rows: [],
        cancelled: ["t1"],
        scheduled: [timer("t2", "2026-01-01T00:00:05Z")],
      },
      {
        rows: [],
        cancelled: [],
        scheduled: [timer("t1", "2026-01-01T00:01:00Z"), timer("t2", "2026-01-01T00:02:00Z")],
      },
    );
    expect(merged.cancelled).toEqual([]);
    expect(merged.scheduled.map((t) => [t.id, t.fireAt.toISOString()])).toEqual([
      ["t1", "2026-01-01T00:01:00.000Z"],
      ["t2", "2026-01-01T00:02:00.000Z"],
    ]);
  });
});

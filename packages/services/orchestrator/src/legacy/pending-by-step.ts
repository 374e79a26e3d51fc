// Compatibility with the snapshot shape before pending work was keyed by step.
//
// Until 0.1.x a snapshot held `pending` as one object (or null). Migration
// 0003-pending-by-step rewrites every stored row, so after it the old shape can only come from
// an orchestrator of the earlier release still writing during a rolling deploy. Every read of a
// stored snapshot goes through here for that window.
//
// Remove in 0.3.0: by then no replica of 0.1.x can still be running, so no row holds the old shape.
import type { SagaSnapshot } from "@sagaworks/saga-engine";

/**
 * `pending` as a map by step, whatever shape it was stored in: the old single object becomes a
 * map of its one step, null (or absent) an empty map, and a map is returned as it is.
 */
export function pendingByStep<Work extends { step: string }>(
  stored: unknown,
): Record<string, Work> {
  if (stored === null || stored === undefined) return {};
  if (isSingleWork(stored)) return { [stored.step]: stored as unknown as Work };
  return stored as Record<string, Work>;
}

/** A stored snapshot in the current shape. */
export function currentSnapshot(stored: SagaSnapshot): SagaSnapshot {
  const pending: unknown = stored.pending;
  if (pending !== null && pending !== undefined && !isSingleWork(pending)) return stored;
  return { ...stored, pending: pendingByStep(pending) };
}

// The old object carried `waitingFor` as a string; in a map every value is an object, even for
// a step that happens to be named "waitingFor" or "step".
function isSingleWork(value: unknown): value is { step: string; waitingFor: string } {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.waitingFor === "string" && typeof record.step === "string";
}

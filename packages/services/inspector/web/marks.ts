// How the saga page colours the compiler's diagram: a mark per state, from the saga's snapshot.
// Pure, so it is tested without a browser.
import type { SagaSnapshot } from "@sagaworks/saga-engine";

/** Mermaid node id of a state id, as the compiler's diagram writes it. */
export const nodeId = (stateId: string) => stateId.replace(/[^A-Za-z0-9]+/g, "_");

/** How the saga page colours a state. */
export type StateMark = "current" | "done" | "failed" | "compensated" | "skipped" | "notTaken";

/** The colour of each mark; also the legend under the graph. */
export const MARK_STYLES: Record<StateMark, string> = {
  current: "fill:#bfdbfe,stroke:#1d4ed8,stroke-width:4px",
  done: "fill:#bbf7d0,stroke:#15803d,stroke-width:2px",
  skipped: "fill:#e9d5ff,stroke:#7e22ce,stroke-width:2px",
  // Its condition was false: it never ran (distinct from an operator's skip).
  notTaken: "fill:#f9fafb,stroke:#9ca3af,stroke-width:2px,stroke-dasharray:2 2",
  failed: "fill:#fecaca,stroke:#b91c1c,stroke-width:3px",
  compensated: "fill:#e5e7eb,stroke:#4b5563,stroke-width:2px,stroke-dasharray:4 3",
};

/** Which states get which mark, from the saga's snapshot; only states the diagram has. */
export function stateMarks(
  snapshot: SagaSnapshot,
  stateIds: readonly string[],
): Map<string, StateMark> {
  const marks = new Map<string, StateMark>();
  for (const [step, record] of Object.entries(snapshot.steps)) {
    const forward = `step:${step}`;
    if (record.status === "succeeded" || record.status === "compensating") {
      marks.set(forward, "done");
    }
    if (record.status === "skipped") marks.set(forward, "skipped");
    if (record.status === "not-taken") marks.set(forward, "notTaken");
    if (record.status === "failed") marks.set(forward, "failed");
    if (record.status === "compensated") {
      marks.set(forward, "compensated");
      marks.set(`compensate:${step}`, "compensated");
    }
  }
  const stopped = snapshot.status !== "running" && snapshot.status !== "compensating";
  const endMark: StateMark =
    snapshot.state === "completed"
      ? "done"
      : snapshot.state === "compensated"
        ? "compensated"
        : "failed";
  marks.set(snapshot.state, stopped ? endMark : "current");
  const known = new Set(stateIds);
  return new Map([...marks].filter(([state]) => known.has(state)));
}

/**
 * The compiler's diagram with the saga's marks in place of the role classes (pivot, retriable,
 * compensation), which would otherwise paint over them.
 */
export function markedDiagram(mermaid: string, marks: Map<string, StateMark>): string {
  const lines = mermaid.split("\n").filter((line) => !/^\s*class\s/.test(line));
  const byMark = new Map<StateMark, string[]>();
  for (const [state, mark] of marks) byMark.set(mark, [...(byMark.get(mark) ?? []), nodeId(state)]);
  for (const [mark, ids] of byMark) {
    lines.push(`  classDef ${mark} ${MARK_STYLES[mark]}`, `  class ${ids.join(",")} ${mark}`);
  }
  return `${lines.join("\n")}\n`;
}

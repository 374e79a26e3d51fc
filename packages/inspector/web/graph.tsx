// Mermaid graphs, bundled (no CDN). The definition page shows the compiler's diagram as is; the
// saga page colours it by what the saga did: each state's class comes from the snapshot.
import type { SagaSnapshot } from "@sagaworks/saga-engine";
import { useEffect, useRef, useState } from "preact/hooks";

type Mermaid = typeof import("mermaid").default;
let mermaidReady: Promise<Mermaid> | undefined;
// Mermaid renders through one shared scratch element: one render at a time.
let queue: Promise<unknown> = Promise.resolve();
let counter = 0;

function loadMermaid(): Promise<Mermaid> {
  mermaidReady ??= import("mermaid").then(({ default: mermaid }) => {
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme: "default",
      fontFamily: "system-ui, sans-serif",
      state: { useMaxWidth: true },
    });
    return mermaid;
  });
  return mermaidReady;
}

function render(text: string): Promise<string> {
  const next = queue.then(async () => {
    const mermaid = await loadMermaid();
    const { svg } = await mermaid.render(`graph-${++counter}`, text);
    return svg;
  });
  queue = next.catch(() => undefined);
  return next;
}

/** A Mermaid diagram, re-rendered only when its text changes. */
export function MermaidGraph({ text, label }: { text: string; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let current = true;
    render(text).then(
      (svg) => {
        if (current && ref.current) {
          ref.current.innerHTML = svg;
          setError(undefined);
        }
      },
      (failure: Error) => current && setError(failure.message),
    );
    return () => {
      current = false;
    };
  }, [text]);
  return (
    <figure class="graph" aria-label={label}>
      <div ref={ref} class="graph-svg" data-graph-text={text} />
      {error ? (
        <figcaption class="error-note">The diagram did not render: {error}</figcaption>
      ) : null}
    </figure>
  );
}

/** Mermaid node id of a state id, as the compiler's diagram writes it. */
export const nodeId = (stateId: string) => stateId.replace(/[^A-Za-z0-9]+/g, "_");

/** How the saga page colours a state. */
export type StateMark = "current" | "done" | "failed" | "compensated" | "skipped";

/** The colour of each mark; also the legend under the graph. */
export const MARK_STYLES: Record<StateMark, string> = {
  current: "fill:#bfdbfe,stroke:#1d4ed8,stroke-width:4px",
  done: "fill:#bbf7d0,stroke:#15803d,stroke-width:2px",
  skipped: "fill:#e9d5ff,stroke:#7e22ce,stroke-width:2px",
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

// Mermaid graphs, bundled (no CDN). The definition page shows the compiler's diagram as is; the
// saga page colours it by what the saga did: each state's class comes from the snapshot.
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

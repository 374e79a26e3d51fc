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
      // Lines break only at the compiler's <br/>: automatic wrapping split step names such as
      // "verify-customer" at their hyphen (style.css keeps measured labels on one line too).
      markdownAutoWrap: false,
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

/**
 * The smallest share of its natural size a graph is drawn at. Mermaid draws labels at 16 px and
 * scales the whole drawing down to its column; this keeps them at 12 px or more (they had fallen
 * to about 9 px), and the shipped sagas still fit a 1280 px page. A graph wider than that
 * scrolls sideways inside its box (.graph-svg).
 */
const MIN_GRAPH_SCALE = 0.75;

function keepLabelsReadable(svg: SVGSVGElement | null): void {
  const naturalWidth = svg?.viewBox.baseVal?.width;
  if (!svg || !naturalWidth) return;
  svg.style.minWidth = `${Math.ceil(naturalWidth * MIN_GRAPH_SCALE)}px`;
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
          keepLabelsReadable(ref.current.querySelector("svg"));
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

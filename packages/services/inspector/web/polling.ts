// Refresh by polling: the views re-read the API on an interval while the tab is visible, without
// reloading the page. Simple, works through any proxy, and the reads are cheap.
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiError } from "./api.ts";

/** How often views refresh, in ms. */
export const POLL_INTERVAL_MS = 2_000;

/** The latest value of a read, its error, and a way to re-read now. */
export interface Polled<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  refresh: () => void;
  /** When the data was last read. */
  at: number | undefined;
}

/**
 * Reads `load()` now, whenever `key` changes, and every `intervalMs` while the page is visible.
 * A slow answer never overwrites a newer one.
 */
export function usePolling<T>(
  key: string,
  load: () => Promise<T>,
  intervalMs: number | null = POLL_INTERVAL_MS,
): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; at?: number; key: string }>({
    key,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stopped = false;
    const run = async () => {
      const mine = ++generation.current;
      try {
        const data = await loadRef.current();
        if (!stopped && mine === generation.current) setState({ data, at: Date.now(), key });
      } catch (error) {
        if (!stopped && mine === generation.current) {
          setState((previous) => ({
            // The last good data of this key stays on screen beside the error.
            data: previous.key === key ? previous.data : undefined,
            error: error as Error,
            at: Date.now(),
            key,
          }));
        }
      }
    };
    void run();
    const timer =
      intervalMs === null
        ? undefined
        : setInterval(() => {
            if (document.visibilityState === "visible") void run();
          }, intervalMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [key, tick, intervalMs]);

  const current = state.key === key ? state : { key };
  return {
    data: current.data,
    error: current.error instanceof Error ? current.error : undefined,
    at: current.at,
    refresh: () => setTick((n) => n + 1),
  };
}

export type { ApiError };

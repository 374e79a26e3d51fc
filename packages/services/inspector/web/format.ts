// How times, durations and JSON read on the page.

/** 1234 → "1.23 s", 61000 → "1 min 1 s"; negative durations read as "0 ms". */
export function formatDuration(ms: number): string {
  const value = Math.max(0, ms);
  if (value < 1_000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1_000).toFixed(value < 10_000 ? 2 : 1)} s`;
  if (value < 3_600_000) {
    const minutes = Math.floor(value / 60_000);
    return `${minutes} min ${Math.round((value % 60_000) / 1_000)} s`;
  }
  const hours = Math.floor(value / 3_600_000);
  return `${hours} h ${Math.round((value % 3_600_000) / 60_000)} min`;
}

/** "3 min ago", "in 4.20 s", relative to now. */
export function relative(iso: string, now = Date.now()): string {
  const delta = Date.parse(iso) - now;
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

/** A local date and time with seconds and milliseconds, for timelines. */
export function timestamp(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Pretty JSON; a string that holds JSON (an SQS body) is shown parsed. */
export function prettyJson(value: unknown): string {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? "null";
}

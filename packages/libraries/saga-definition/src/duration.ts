// Durations are written as strings such as "250ms", "30s", "5m", "1h30m" or "7d" and compiled to
// integer milliseconds. Units may be combined but each appears at most once, largest first.

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

/** The pattern every duration string must match (also exported into the JSON Schema). */
export const DURATION_PATTERN =
  /^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Parses "1h30m" into milliseconds; returns undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  const [, d, h, m, s, ms] = match;
  const total =
    Number(d ?? 0) * UNIT_MS.d +
    Number(h ?? 0) * UNIT_MS.h +
    Number(m ?? 0) * UNIT_MS.m +
    Number(s ?? 0) * UNIT_MS.s +
    Number(ms ?? 0);
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Formats milliseconds back into the shortest duration string ("90000" → "1m30s"). */
export function formatDuration(totalMs: number): string {
  if (totalMs === 0) return "0s";
  let rest = totalMs;
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"] as const) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}

// Plain-text rendering shared by the dlq and sagas commands.

/** Renders rows as aligned columns under a header. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const render = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[render(header), ...rows.map(render)].join("\n")}\n`;
}

/**
 * What a list command prints: `rows` as JSON when `json` is set, else the line `empty` when there
 * are none, else a {@link table} of `header` over each row's `cells`.
 */
export function listing<T>(
  rows: readonly T[],
  options: {
    json: boolean | undefined;
    empty: string;
    header: readonly string[];
    cells: (row: T) => readonly string[];
  },
): string {
  if (options.json) return `${JSON.stringify(rows, null, 2)}\n`;
  if (rows.length === 0) return `${options.empty}\n`;
  return table(options.header, rows.map(options.cells));
}

/** A duration in the largest sensible unit: `45s`, `12m`, `3h`, `2d`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `30s`, `10m`, `2h`, `1d`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[match[2] ?? "s"] ?? 1000);
}

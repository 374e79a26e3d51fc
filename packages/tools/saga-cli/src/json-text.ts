// JSON text laid out the way the project's formatter (Biome) lays it out, so a file the CLI
// writes (`saga schema --out`) passes `pnpm lint` as written: objects one key per line, arrays
// of plain values on one line when they fit in 100 columns.

const LINE_WIDTH = 100;

function isPlain(value: unknown): boolean {
  return value === null || typeof value !== "object";
}

function print(value: unknown, indent: string, prefixWidth: number, suffixWidth: number): string {
  if (isPlain(value)) return JSON.stringify(value) ?? "null";
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every(isPlain)) {
      const flat = `[${value.map((item) => JSON.stringify(item) ?? "null").join(", ")}]`;
      if (prefixWidth + flat.length + suffixWidth <= LINE_WIDTH) return flat;
    }
    const items = value.map(
      (item, index) =>
        `${inner}${print(item, inner, inner.length, index < value.length - 1 ? 1 : 0)}`,
    );
    return `[\n${items.join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  const lines = entries.map(([key, field], index) => {
    const head = `${inner}${JSON.stringify(key)}: `;
    return `${head}${print(field, inner, head.length, index < entries.length - 1 ? 1 : 0)}`;
  });
  return `{\n${lines.join(",\n")}\n${indent}}`;
}

/** Serialises a JSON value as Biome would format it, with a final newline. */
export function formatJsonText(value: unknown): string {
  return `${print(value, "", 0, 0)}\n`;
}

// Filling an HTTP step's path from its parameters.

function encodable(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** A `:name` segment of a path; the name is the first group. */
const PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;

/** The value of the path parameter `name`, as text; undefined when absent or null. */
function paramText(params: Record<string, unknown>, name: string): string | undefined {
  const value = Object.hasOwn(params, name) ? params[name] : undefined;
  return value === undefined || value === null ? undefined : String(value);
}

/** The first `:name` of the path whose value, as text, is `refused`; undefined when none is. */
function firstRefusedParam(
  path: string,
  params: Record<string, unknown>,
  refused: (text: string) => boolean,
): string | undefined {
  for (const match of path.matchAll(PARAM)) {
    const name = match[1] as string;
    const text = paramText(params, name);
    if (text !== undefined && refused(text)) return name;
  }
  return undefined;
}

/** The first `:name` of the path whose value cannot be URI-encoded (a lone surrogate), if any. */
export function unencodablePathParam(
  path: string,
  params: Record<string, unknown>,
): string | undefined {
  return firstRefusedParam(path, params, (text) => !encodable(text));
}

/**
 * The first `:name` of the path whose value is `.` or `..`: encodeURIComponent leaves dots alone,
 * and a URL normalises such a segment as navigation (`/notes/..` becomes `/`), so the call would
 * reach another resource. Percent-encoding does not help: URL parsers treat `%2E` as a dot in a
 * path segment too. Such a value is refused, whatever segment it stands in.
 */
export function dotSegmentPathParam(
  path: string,
  params: Record<string, unknown>,
): string | undefined {
  return firstRefusedParam(path, params, (text) => /^\.{1,2}$/.test(text));
}

/** Fills `:name` segments of a path from the params, URI-encoded. */
export function fillPath(path: string, params: Record<string, unknown>): string {
  return path.replace(PARAM, (whole, name: string) => {
    const text = paramText(params, name);
    return text === undefined ? whole : encodeURIComponent(text);
  });
}

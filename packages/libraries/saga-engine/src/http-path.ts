// Filling an HTTP step's path from its parameters.

function encodable(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** The first `:name` of the path whose value cannot be URI-encoded (a lone surrogate), if any. */
export function unencodablePathParam(
  path: string,
  params: Record<string, unknown>,
): string | undefined {
  for (const match of path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = match[1] as string;
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    if (value !== undefined && value !== null && !encodable(String(value))) return name;
  }
  return undefined;
}

/** Fills `:name` segments of a path from the params, URI-encoded. */
export function fillPath(path: string, params: Record<string, unknown>): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => {
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    return value === undefined || value === null ? whole : encodeURIComponent(String(value));
  });
}

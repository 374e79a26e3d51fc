// Hash routes, so the orchestrator serves one index.html and nothing else needs a fallback:
// #/sagas?status=…&q=…, #/sagas/<id>, #/definitions, #/dead-letters[/<queue>]. Filters live in the hash; the token never does.

/** Where the app is. */
export type Route =
  | { page: "sagas"; filters: URLSearchParams }
  | { page: "saga"; id: string }
  | { page: "definitions"; focus: string | null }
  | { page: "dead-letters"; queue: string | null };

/** Reads the route from a location hash. */
export function parseRoute(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#/, "").split("?", 2);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "sagas" && parts[1]) return { page: "saga", id: parts[1] };
  if (parts[0] === "definitions") return { page: "definitions", focus: parts[1] ?? null };
  if (parts[0] === "dead-letters") return { page: "dead-letters", queue: parts[1] ?? null };
  return { page: "sagas", filters: new URLSearchParams(search) };
}

/** The hash of a saga's page. */
export const sagaHref = (id: string) => `#/sagas/${encodeURIComponent(id)}`;

/** The hash of the list with these filters. */
export function sagasHref(filters: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) search.set(key, value);
  const text = search.toString();
  return `#/sagas${text ? `?${text}` : ""}`;
}

/** The hash of the dead-letter page, with one queue read. */
export const deadLettersHref = (queue?: string) =>
  `#/dead-letters${queue ? `/${encodeURIComponent(queue)}` : ""}`;

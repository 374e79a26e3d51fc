// Reads how many sagas each definition version still runs from an orchestrator
// (`GET /sagas/in-flight`, with the API token), for `saga diff --orchestrator-url`.

/** Unfinished sagas of one version in one status and state. */
export interface InFlightRow {
  name: string;
  version: number;
  hash: string;
  status: string;
  state: string;
  count: number;
}

/** What the orchestrator answered, or why it could not be asked. */
export type InFlightReport =
  | { ok: true; url: string; items: InFlightRow[] }
  | { ok: false; url: string; reason: string };

/** Longest wait for the orchestrator, so a CI job never hangs on it. */
const REQUEST_TIMEOUT_MS = 15_000;

/** Asks the orchestrator at `baseUrl` for its in-flight counts; never throws. */
export async function fetchInFlight(baseUrl: string, token: string): Promise<InFlightReport> {
  const url = `${baseUrl.replace(/\/+$/, "")}/sagas/in-flight`;
  try {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) {
      return { ok: false, url, reason: `HTTP ${response.status}: ${text.slice(0, 200)}` };
    }
    const body = JSON.parse(text) as { items?: unknown };
    if (!Array.isArray(body.items)) return { ok: false, url, reason: "the answer has no items" };
    return { ok: true, url, items: body.items as InFlightRow[] };
  } catch (error) {
    return { ok: false, url, reason: (error as Error).message };
  }
}

/** `3 running (step:a 2, step:b 1), 1 needs-intervention (step:b 1)` for one version. */
export function describeInFlight(rows: readonly InFlightRow[]): string {
  const byStatus = new Map<string, InFlightRow[]>();
  for (const row of rows) byStatus.set(row.status, [...(byStatus.get(row.status) ?? []), row]);
  return [...byStatus]
    .map(([status, list]) => {
      const total = list.reduce((sum, row) => sum + row.count, 0);
      return `${total} ${status} (${list.map((row) => `${row.state} ${row.count}`).join(", ")})`;
    })
    .join(", ");
}

// Reads how many sagas each definition version still runs from an orchestrator
// (`GET /sagas/in-flight`, with the API token), for `saga diff --orchestrator-url`; the answer is
// parsed with the schema the route declares.
import { type InFlightRow, inFlightBody } from "@sagaworks/orchestrator-api";

/** Unfinished sagas of one version in one status and state. */
export type { InFlightRow };

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
    const body = inFlightBody.safeParse(JSON.parse(text));
    if (!body.success) {
      const problem = body.error.issues[0];
      const where = problem?.path.length ? problem.path.join(".") : "the answer";
      return {
        ok: false,
        url,
        reason: `${where}: ${problem?.message ?? "does not match the API"}`,
      };
    }
    return { ok: true, url, items: body.data.items };
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

// The saga list: filters (name, status, age, text), live counts per status, cursor paging, and
// a refresh by polling. Filters live in the location hash, so a filtered view can be shared.
import { useState } from "preact/hooks";
import {
  countSagas,
  listDefinitions,
  type SagaRow,
  type SearchQuery,
  searchSagas,
} from "../api.ts";
import { ColumnHeads, ErrorNote, FilterSelect, StatusBadge } from "../components.tsx";
import { relative, timestamp } from "../format.ts";
import { usePolling } from "../polling.ts";
import { sagaHref, sagasHref } from "../route.ts";

const STATUSES = [
  "running",
  "compensating",
  "needs-intervention",
  "completed",
  "compensated",
  "failed",
  "resolved",
] as const;

/** Age filter choices: label and milliseconds back from now. */
const AGES: Record<string, { label: string; ms: number }> = {
  "15m": { label: "last 15 minutes", ms: 15 * 60_000 },
  "1h": { label: "last hour", ms: 3_600_000 },
  "24h": { label: "last 24 hours", ms: 86_400_000 },
  "7d": { label: "last 7 days", ms: 7 * 86_400_000 },
};

const PAGE_SIZE = 20;

/**
 * One list row as the page shows it. The single place rows from the API are read, so a change
 * of the API's row shape is a change here only.
 */
function toListRow(row: SagaRow) {
  return {
    id: row.id,
    saga: `${row.name} v${row.version}`,
    status: row.status,
    state: row.state,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The filters the hash holds. */
interface Filters {
  name: string;
  status: string;
  age: string;
  q: string;
}

function readFilters(params: URLSearchParams): Filters {
  return {
    name: params.get("name") ?? "",
    status: params.get("status") ?? "",
    age: params.get("age") ?? "",
    q: params.get("q") ?? "",
  };
}

const createdAfter = (age: string) => {
  const choice = AGES[age];
  return choice ? new Date(Date.now() - choice.ms).toISOString() : undefined;
};

/** The sagas page. */
export function SagasPage({ params }: { params: URLSearchParams }) {
  const filters = readFilters(params);
  const filterKey = JSON.stringify(filters);
  // Cursors of the pages before this one; reset whenever the filters change.
  const [paging, setPaging] = useState<{ key: string; cursors: (string | undefined)[] }>({
    key: filterKey,
    cursors: [undefined],
  });
  const cursors = paging.key === filterKey ? paging.cursors : [undefined];
  const cursor = cursors[cursors.length - 1];
  const [text, setText] = useState({ key: filterKey, q: filters.q });
  const q = text.key === filterKey ? text.q : filters.q;

  const definitions = usePolling("definition-names", listDefinitions, 30_000);
  const names = [...new Set((definitions.data ?? []).map((d) => d.name))].sort();
  const list = usePolling(`sagas:${filterKey}:${cursor ?? ""}`, () => {
    const query: SearchQuery = { limit: PAGE_SIZE };
    const after = createdAfter(filters.age);
    if (filters.name) query.name = filters.name;
    if (filters.status) query.status = filters.status as SearchQuery["status"];
    if (filters.q) query.q = filters.q;
    if (after) query.createdAfter = after;
    if (cursor) query.cursor = cursor;
    return searchSagas(query);
  });
  const counts = usePolling(`counts:${filters.name}:${filters.age}`, () => {
    const after = createdAfter(filters.age);
    return countSagas({
      ...(filters.name ? { name: filters.name } : {}),
      ...(after ? { createdAfter: after } : {}),
    });
  });

  const go = (next: Partial<Filters>) => {
    window.location.hash = sagasHref({ ...filters, ...next });
  };
  const rows = (list.data?.items ?? []).map(toListRow);
  const nextCursor = list.data?.nextCursor ?? null;

  return (
    <main id="main">
      <h1>Sagas</h1>
      <form
        class="filters panel"
        aria-label="Filter sagas"
        onSubmit={(event) => {
          event.preventDefault();
          go({ q: q.trim() });
        }}
      >
        <FilterSelect
          id="filter-name"
          label="Saga"
          value={filters.name}
          anyLabel="all"
          choices={names.map((name) => [name, name] as const)}
          onChange={(name) => go({ name })}
        />
        <FilterSelect
          id="filter-status"
          label="Status"
          value={filters.status}
          anyLabel="all"
          choices={STATUSES.map((status) => [status, status] as const)}
          onChange={(status) => go({ status })}
        />
        <FilterSelect
          id="filter-age"
          label="Started"
          value={filters.age}
          anyLabel="any time"
          choices={Object.entries(AGES).map(([value, { label }]) => [value, label] as const)}
          onChange={(age) => go({ age })}
        />
        <div class="field grow">
          <label for="filter-q">Search id or input</label>
          <input
            id="filter-q"
            type="search"
            placeholder="saga id prefix, customer id, any input text"
            value={q}
            onInput={(event) =>
              setText({ key: filterKey, q: (event.target as HTMLInputElement).value })
            }
          />
        </div>
        <div class="field buttons">
          <button type="submit">Search</button>
          <button
            type="button"
            class="secondary"
            onClick={() => go({ name: "", status: "", age: "", q: "" })}
          >
            Clear
          </button>
        </div>
      </form>

      <nav class="counts" aria-label="Sagas per status">
        <a
          href={sagasHref({ ...filters, status: "" })}
          class={`count ${filters.status === "" ? "selected" : ""}`}
          aria-current={filters.status === "" ? "true" : undefined}
        >
          all <strong data-count="all">{counts.data?.total ?? "…"}</strong>
        </a>
        {STATUSES.map((status) => (
          <a
            key={status}
            href={sagasHref({ ...filters, status })}
            class={`count status-${status} ${filters.status === status ? "selected" : ""}`}
            aria-current={filters.status === status ? "true" : undefined}
          >
            {status} <strong data-count={status}>{counts.data?.byStatus[status] ?? "…"}</strong>
          </a>
        ))}
      </nav>
      {counts.error ? <ErrorNote error={counts.error} label="Counts" /> : null}

      <section class="panel" aria-labelledby="list-title">
        <header class="panel-header">
          <h2 id="list-title">
            {filters.status || "all"} sagas{filters.name ? ` of ${filters.name}` : ""}
            {filters.q ? ` matching “${filters.q}”` : ""}
          </h2>
          <p class="muted" aria-live="polite">
            {list.at ? `refreshed ${timestamp(new Date(list.at).toISOString()).slice(11, 19)}` : ""}
            {" · "}page {cursors.length}
          </p>
        </header>
        {list.error ? <ErrorNote error={list.error} /> : null}
        <div class="table-wrap">
          <table class="sagas">
            <ColumnHeads
              names={["saga id", "definition", "status", "state", "started", "updated"]}
            />
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-saga-id={row.id}>
                  <td data-label="saga id">
                    <a href={sagaHref(row.id)} class="mono">
                      {row.id}
                    </a>
                  </td>
                  <td data-label="definition">{row.saga}</td>
                  <td data-label="status">
                    <StatusBadge status={row.status} />
                  </td>
                  <td data-label="state" class="mono">
                    {row.state}
                  </td>
                  <td data-label="started" title={timestamp(row.createdAt)}>
                    {relative(row.createdAt)}
                  </td>
                  <td data-label="updated" title={timestamp(row.updatedAt)}>
                    {relative(row.updatedAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {list.data && rows.length === 0 ? <p>No saga matches these filters.</p> : null}
        <div class="pager">
          <button
            type="button"
            class="secondary"
            disabled={cursors.length <= 1}
            onClick={() => setPaging({ key: filterKey, cursors: cursors.slice(0, -1) })}
          >
            ← Newer
          </button>
          <button
            type="button"
            class="secondary"
            disabled={!nextCursor}
            onClick={() =>
              nextCursor && setPaging({ key: filterKey, cursors: [...cursors, nextCursor] })
            }
          >
            Older →
          </button>
        </div>
      </section>
    </main>
  );
}

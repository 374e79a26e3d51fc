// Prints a run's results: markdown tables (the summary, the engine / baseline ratios, requests by
// API, CPU and RSS by process) or JSON.

/** One measured phase: one system, one number of clients in flight. */
export interface PhaseResult {
  mode: "one" | "separate";
  system: "sagaworks" | "baseline";
  inFlight: number;
  sagas: number;
  sagasPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** Requests per saga by API (`SQS.SendMessageBatch`), the clients' own excluded. */
  requestsPerSaga: Record<string, number>;
  sqsPerSaga: number;
  snsPerSaga: number;
  /**
   * Postgres commits per saga of the system's processes, counted in each process (query-counter.ts)
   * over the phase: per-saga work and the pollers' commits meanwhile.
   */
  commitsPerSaga: number;
  /** Of those, what the pollers commit anyway: the idle rate after the phase times its length. */
  pollCommitsPerSaga: number;
  /** Commits per second of the system's processes idle after the phase (their pollers). */
  idleCommitsPerSecond: number;
  /** Commits per saga by process. */
  pgCommitsPerSaga: Record<string, number>;
  /**
   * pg_stat_database xact_commit delta of the whole database per saga (`--commit-flush-ms`);
   * null on PGlite or when not read. On a shared database other sessions' commits are in it.
   */
  databaseCommitsPerSaga: number | null;
  /** The database's commit rate after the phase; taken off the flush wait only. */
  databaseIdleCommitsPerSecond: number | null;
  /** Postgres statements (pg Client.query calls) per saga by process. */
  pgQueriesPerSaga: Record<string, number>;
  /** Postgres statements per saga of all the system's processes. */
  systemPgQueriesPerSaga: number;
  /** Socket writes to Postgres per saga by process (pipelined statements share one). */
  pgSocketWritesPerSaga: Record<string, number>;
  /** Socket writes to Postgres per saga of all the system's processes. */
  systemPgSocketWritesPerSaga: number;
  /** CPU ms per saga by process (the runner, which holds the clients, is `clients`). */
  cpuMsPerSaga: Record<string, number | null>;
  /** CPU ms per saga of the system's processes (the emulator and the clients excluded). */
  systemCpuMsPerSaga: number | null;
  /** CPU of every Postgres process on this machine per saga; null when there is none here. */
  postgresCpuMsPerSaga: number | null;
  /** Peak RSS (MB) of each process since it started. */
  peakRssMb: Record<string, number | null>;
  /** Each system process's RSS (MB) when the phase had ended this many sagas (`--rss-at`). */
  rssAt: { sagas: number; mb: Record<string, number | null> }[];
  outcomes: Record<string, number>;
  unexpected: number;
  problems: string[];
  stoppedByDeadline: boolean;
}

/** Everything a run produced, with what it ran on. */
export interface RunReport {
  node: string;
  postgres: string;
  broker: string;
  cpus: number;
  loadAverage: number[];
  settings: Record<string, unknown>;
  results: PhaseResult[];
  notes: string[];
}

const fixed = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value) ? "n/a" : value.toFixed(digits);

const ratio = (a: number | null, b: number | null) =>
  a === null || b === null || b === 0 ? "n/a" : `${(a / b).toFixed(2)}×`;

const modeName = (mode: string) => (mode === "one" ? "one process" : "separate");

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Writes the report to stdout, as tables or (with `json`) as one JSON document. */
export function printReport(report: RunReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  out.push(
    `create-order, ${report.broker}, ${report.postgres}, node ${report.node}, ${report.cpus} CPUs, ` +
      `load average ${report.loadAverage.map((l) => l.toFixed(2)).join(" ")} at the end`,
  );
  out.push(`settings: ${JSON.stringify(report.settings)}`, "");
  const results = report.results;
  out.push(
    table(
      [
        "mode",
        "system",
        "in flight",
        "sagas",
        "sagas/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "SQS req/saga",
        "SNS req/saga",
        "PG commits/saga",
        "of which idle polls",
        "PG queries/saga",
        "PG socket writes/saga",
        "CPU ms/saga (system)",
        "CPU ms/saga (emulator)",
        "CPU ms/saga (Postgres)",
        "peak RSS MB (system)",
      ],
      results.map((r) => [
        modeName(r.mode),
        r.system,
        String(r.inFlight),
        String(r.sagas),
        fixed(r.sagasPerSecond),
        fixed(r.p50),
        fixed(r.p95),
        fixed(r.p99),
        fixed(r.sqsPerSaga, 2),
        fixed(r.snsPerSaga, 2),
        fixed(r.commitsPerSaga, 2),
        fixed(r.pollCommitsPerSaga, 2),
        fixed(r.systemPgQueriesPerSaga, 2),
        fixed(r.systemPgSocketWritesPerSaga, 2),
        fixed(r.systemCpuMsPerSaga, 2),
        fixed(r.cpuMsPerSaga.emulator, 2),
        fixed(r.postgresCpuMsPerSaga, 2),
        fixed(
          Object.entries(r.peakRssMb)
            .filter(([name]) => name !== "emulator" && name !== "clients")
            .reduce((max, [, mb]) => Math.max(max, mb ?? 0), 0),
          0,
        ),
      ]),
    ),
  );
  const pairs = results
    .filter((r) => r.system === "sagaworks")
    .map((engine) => ({
      engine,
      baseline: results.find(
        (b) => b.system === "baseline" && b.mode === engine.mode && b.inFlight === engine.inFlight,
      ),
    }))
    .filter((p): p is { engine: PhaseResult; baseline: PhaseResult } => p.baseline !== undefined);
  if (pairs.length > 0) {
    out.push("", "Sagaworks / hand-written baseline (same run):", "");
    out.push(
      table(
        [
          "mode",
          "in flight",
          "sagas/s",
          "p50",
          "p99",
          "SQS req",
          "PG commits",
          "PG queries",
          "CPU (system)",
          "CPU (emulator)",
          "CPU (Postgres)",
        ],
        pairs.map(({ engine, baseline }) => [
          modeName(engine.mode),
          String(engine.inFlight),
          ratio(engine.sagasPerSecond, baseline.sagasPerSecond),
          ratio(engine.p50, baseline.p50),
          ratio(engine.p99, baseline.p99),
          ratio(engine.sqsPerSaga, baseline.sqsPerSaga),
          ratio(engine.commitsPerSaga, baseline.commitsPerSaga),
          ratio(engine.systemPgQueriesPerSaga, baseline.systemPgQueriesPerSaga),
          ratio(engine.systemCpuMsPerSaga, baseline.systemCpuMsPerSaga),
          ratio(engine.cpuMsPerSaga.emulator ?? null, baseline.cpuMsPerSaga.emulator ?? null),
          ratio(engine.postgresCpuMsPerSaga, baseline.postgresCpuMsPerSaga),
        ]),
      ),
    );
  }
  out.push("", "Requests per saga by API (the clients' own excluded):", "");
  const apis = [...new Set(results.flatMap((r) => Object.keys(r.requestsPerSaga)))].sort();
  out.push(
    table(
      ["mode", "system", "in flight", ...apis],
      results.map((r) => [
        modeName(r.mode),
        r.system,
        String(r.inFlight),
        ...apis.map((api) => fixed(r.requestsPerSaga[api] ?? 0, 2)),
      ]),
    ),
  );
  out.push("", "CPU ms per saga and peak RSS (MB) by process:", "");
  out.push(
    table(
      [
        "mode",
        "system",
        "in flight",
        "idle PG commits/s",
        "database-wide PG commits/saga, idle/s",
        "process: CPU ms/saga, peak RSS MB, PG queries/saga",
      ],
      results.map((r) => [
        modeName(r.mode),
        r.system,
        String(r.inFlight),
        fixed(r.idleCommitsPerSecond),
        `${fixed(r.databaseCommitsPerSaga, 2)}, ${fixed(r.databaseIdleCommitsPerSecond)}`,
        Object.keys(r.cpuMsPerSaga)
          .map(
            (name) =>
              `${name}: ${fixed(r.cpuMsPerSaga[name], 2)}, ${fixed(r.peakRssMb[name], 0)}` +
              (name in r.pgQueriesPerSaga ? `, ${fixed(r.pgQueriesPerSaga[name], 2)}` : ""),
          )
          .join("; "),
      ]),
    ),
  );
  out.push("", "Postgres per saga by process (statements / socket writes / commits):", "");
  out.push(
    table(
      [
        "mode",
        "system",
        "in flight",
        "process: statements/saga / socket writes/saga / commits/saga",
      ],
      results.map((r) => [
        modeName(r.mode),
        r.system,
        String(r.inFlight),
        Object.keys(r.pgQueriesPerSaga)
          .map(
            (name) =>
              `${name}: ${fixed(r.pgQueriesPerSaga[name], 2)} / ${fixed(r.pgSocketWritesPerSaga?.[name], 2)} / ${fixed(r.pgCommitsPerSaga?.[name], 2)}`,
          )
          .join("; "),
      ]),
    ),
  );
  const sampled = results.filter((r) => r.rssAt.length > 0);
  if (sampled.length > 0) {
    out.push("", "RSS (MB) of the system's processes as the phase went on (--rss-at):", "");
    out.push(
      table(
        ["mode", "system", "in flight", "sagas ended: process RSS MB"],
        sampled.map((r) => [
          modeName(r.mode),
          r.system,
          String(r.inFlight),
          r.rssAt
            .map(
              ({ sagas, mb }) =>
                `${sagas}: ${Object.entries(mb)
                  .map(([name, value]) => `${name} ${fixed(value, 0)}`)
                  .join(", ")}`,
            )
            .join("; "),
        ]),
      ),
    );
  }
  const problems = results.filter((r) => r.unexpected > 0 || r.stoppedByDeadline);
  for (const r of problems) {
    out.push(
      "",
      `WARNING ${r.system} ${modeName(r.mode)} ×${r.inFlight}: ${r.unexpected} orders ended unexpectedly` +
        `${r.stoppedByDeadline ? ", stopped by the deadline" : ""}; outcomes ${JSON.stringify(r.outcomes)}; ${r.problems.join("; ")}`,
    );
  }
  for (const note of report.notes) out.push("", `note: ${note}`);
  out.push(
    "",
    "Latency: from the start request to the terminal event on the client's queue. Commits: " +
      "the transactions the system's processes committed during the phase, counted in each process " +
      "from the server's answers (read-only ones included, as pg_stat_database counts them); " +
      "`of which idle polls` is the rate the same processes commit at when idle after the phase, " +
      "times the phase's length (the pollers' share). Database-wide commits: pg_stat_database " +
      "(`--commit-flush-ms`, other sessions included). CPU: /proc utime+stime " +
      "delta per process; `clients` is the runner that drives the load; `Postgres` is every " +
      "postgres process of this machine (each connection's server process, the WAL writer; " +
      "other databases' work included, so run it on a quiet server). PG queries: statements " +
      "(pg Client.query calls) counted inside each process of the system; PG socket writes: the " +
      "writes on pg's connection streams that carry them (pipelined statements share one).",
  );
  process.stdout.write(`${out.join("\n")}\n`);
}

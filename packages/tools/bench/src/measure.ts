// One measured phase: a closed loop of clients, and the counters read around it (emulator
// requests, Postgres commits and round trips, CPU and RSS per process).
import { redactUrl } from "@sagaworks/platform";
import pg from "pg";
import { type Child, cpuMsByCommand, cpuMsOf, peakRssMbOf, rssMbOf } from "./children.ts";
import { BenchErrorCode, BenchErrors } from "./errors.ts";
import { closedLoop, type LoopResult, percentile } from "./load.ts";
import type { PhaseResult } from "./report.ts";
import { databaseUrl, deadline, settings, sleep } from "./settings.ts";
import type { Emulator, SystemUnderTest } from "./systems.ts";

/** The Postgres-side counters; undefined on PGlite, which has no pg_stat_database. */
export async function openStats(): Promise<pg.Client | undefined> {
  if (!databaseUrl) return undefined;
  const client = new pg.Client({ connectionString: databaseUrl });
  // A dropped connection (a server restart) fails the next reading, not the whole process.
  client.on("error", (error) =>
    process.stderr.write(`bench: the pg_stat_database connection failed: ${error}\n`),
  );
  try {
    await client.connect();
  } catch (error) {
    throw BenchErrors.create(
      BenchErrorCode.databaseUnreachable,
      `cannot reach Postgres at DATABASE_URL (${redactUrl(databaseUrl)}): ${String(error)}; ` +
        "start it, fix the URL, or unset DATABASE_URL to run on embedded PGlite",
    );
  }
  return client;
}

export async function xactCommits(stats: pg.Client | undefined): Promise<number | undefined> {
  if (!stats) return undefined;
  const { rows } = await stats.query<{ n: string }>(
    "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()",
  );
  return Number(rows[0]?.n ?? Number.NaN);
}

/** What each child's query-counter.ts has counted so far. */
interface PgCounts {
  queries: number;
  socketWrites: number;
  commits: number;
}

/** Each child's Postgres statements, socket writes and commits so far. */
async function pgQueries(children: Child[]): Promise<PgCounts[]> {
  return Promise.all(
    children.map(async (child) => {
      child.send({ type: "pg-queries" });
      const counts = await child.message<Partial<PgCounts>>("pg-queries", 10_000);
      return {
        queries: counts.queries ?? 0,
        socketWrites: counts.socketWrites ?? 0,
        commits: counts.commits ?? 0,
      };
    }),
  );
}

/**
 * The commits of a phase that began at `before` and ended at `phaseEnd`. Postgres (15+) flushes
 * a connection's counters at most once a second, and up to 10 s late once it goes idle, so this
 * waits `--commit-flush-ms` after the phase, then reads twice 3 s apart: the second reading gives
 * the idle rate (the pollers' commits), which is taken off for the time waited. Undefined on
 * PGlite or with a flush wait of 0.
 */
async function commitsSince(
  stats: pg.Client | undefined,
  before: number | undefined,
  phaseEnd: number,
): Promise<{ phase: number; idlePerSecond: number } | undefined> {
  if (!stats || before === undefined || settings.commitFlushMs === 0) return undefined;
  await sleep(Math.max(0, phaseEnd + settings.commitFlushMs - Date.now()));
  const first = (await xactCommits(stats)) ?? Number.NaN;
  const firstAt = Date.now();
  await sleep(3000);
  const second = (await xactCommits(stats)) ?? Number.NaN;
  const idlePerMs = (second - first) / (Date.now() - firstAt);
  return {
    phase: first - before - idlePerMs * (firstAt - phaseEnd),
    idlePerSecond: idlePerMs * 1000,
  };
}

export async function measure(
  mode: "one" | "separate",
  system: "sagaworks" | "baseline",
  sut: SystemUnderTest,
  emulator: Emulator,
  stats: pg.Client | undefined,
  inFlight: number,
): Promise<PhaseResult> {
  const sagas = inFlight === 1 ? settings.serialSagas : settings.sagas;
  const processes = [...sut.children, emulator.child];
  await emulator.reset();
  const queriesBefore = await pgQueries(sut.children);
  const countedFrom = Date.now();
  const cpuBefore = processes.map((p) => cpuMsOf(p.pid));
  const clientBefore = process.cpuUsage();
  const postgresBefore = databaseUrl ? cpuMsByCommand("postgres") : new Map<number, number>();
  const commitsBefore = await xactCommits(stats);
  // The system's resident memory as the phase passes the marks of --rss-at.
  const rssAt: { sagas: number; mb: Record<string, number | null> }[] = [];
  const marks = new Set(settings.rssAt);
  const loop: LoopResult = await closedLoop({
    sagas,
    concurrency: inFlight,
    start: (i) => sut.start(i),
    expected: (i) => sut.expected(i),
    events: sut.events,
    deadline,
    onEnded: (ended) => {
      if (!marks.has(ended)) return;
      const mb: Record<string, number | null> = {};
      for (const child of sut.children) mb[child.name] = rssMbOf(child.pid) ?? null;
      rssAt.push({ sagas: ended, mb });
    },
  });
  const phaseEnd = Date.now();
  // Let the last lifecycle events and deletes land before reading the counters.
  await sleep(settings.settleMs);
  const counts = await emulator.counts();
  const cpuAfter = processes.map((p) => cpuMsOf(p.pid));
  const postgresAfter = databaseUrl ? cpuMsByCommand("postgres") : new Map<number, number>();
  const queriesAfter = await pgQueries(sut.children);
  const countedUntil = Date.now();
  const clientCpu = process.cpuUsage(clientBefore);
  // The system idle for a while: what its pollers commit with no saga to work on, per process.
  await sleep(settings.idleSampleMs);
  const queriesIdle = await pgQueries(sut.children);
  const idleSeconds = (Date.now() - countedUntil) / 1000;
  const commits = await commitsSince(stats, commitsBefore, phaseEnd);
  const n = Math.max(1, loop.completed);
  const requestsPerSaga: Record<string, number> = {};
  for (const [key, count] of Object.entries(counts)) {
    const [caller, api] = key.split(" ");
    if (caller === "benchclient" || !api) continue;
    requestsPerSaga[api] = (requestsPerSaga[api] ?? 0) + count / n;
  }
  const sum = (prefix: string) =>
    Object.entries(requestsPerSaga)
      .filter(([api]) => api.startsWith(prefix))
      .reduce((total, [, v]) => total + v, 0);
  const cpuMsPerSaga: Record<string, number | null> = {};
  const peakRssMb: Record<string, number | null> = {};
  let systemCpu: number | null = 0;
  const pgQueriesPerSaga: Record<string, number> = {};
  const pgSocketWritesPerSaga: Record<string, number> = {};
  const pgCommitsPerSaga: Record<string, number> = {};
  const pgIdleCommitsPerSecond: Record<string, number> = {};
  sut.children.forEach((p, index) => {
    const before = queriesBefore[index];
    const after = queriesAfter[index];
    const idle = queriesIdle[index];
    pgQueriesPerSaga[p.name] = ((after?.queries ?? 0) - (before?.queries ?? 0)) / n;
    pgSocketWritesPerSaga[p.name] = ((after?.socketWrites ?? 0) - (before?.socketWrites ?? 0)) / n;
    pgCommitsPerSaga[p.name] = ((after?.commits ?? 0) - (before?.commits ?? 0)) / n;
    pgIdleCommitsPerSecond[p.name] = ((idle?.commits ?? 0) - (after?.commits ?? 0)) / idleSeconds;
  });
  const sumOf = (values: Record<string, number>) =>
    Object.values(values).reduce((a, b) => a + b, 0);
  const processCommitsPerSaga = sumOf(pgCommitsPerSaga);
  const idleCommitsPerSecond = sumOf(pgIdleCommitsPerSecond);
  processes.forEach((p, index) => {
    const before = cpuBefore[index];
    const after = cpuAfter[index];
    const perSaga = before === undefined || after === undefined ? null : (after - before) / n;
    cpuMsPerSaga[p.name] = perSaga;
    peakRssMb[p.name] = peakRssMbOf(p.pid) ?? null;
    if (p !== emulator.child)
      systemCpu = perSaga === null || systemCpu === null ? null : systemCpu + perSaga;
  });
  cpuMsPerSaga.clients = (clientCpu.user + clientCpu.system) / 1000 / n;
  // Every Postgres process of this machine: the system's connections, the WAL writer and the
  // rest (a process that started during the phase counts from zero). Null when Postgres is not
  // a process here.
  let postgresMs = 0;
  for (const [pid, after] of postgresAfter) postgresMs += after - (postgresBefore.get(pid) ?? 0);
  peakRssMb.clients = process.resourceUsage().maxRSS / 1024;
  return {
    mode,
    system,
    inFlight,
    sagas: loop.completed,
    sagasPerSecond: loop.completed / loop.seconds,
    p50: percentile(loop.latencies, 50),
    p95: percentile(loop.latencies, 95),
    p99: percentile(loop.latencies, 99),
    requestsPerSaga,
    sqsPerSaga: sum("SQS."),
    snsPerSaga: sum("SNS."),
    commitsPerSaga: processCommitsPerSaga,
    pollCommitsPerSaga: (idleCommitsPerSecond * ((countedUntil - countedFrom) / 1000)) / n,
    idleCommitsPerSecond,
    pgCommitsPerSaga,
    databaseCommitsPerSaga: commits ? commits.phase / n : null,
    databaseIdleCommitsPerSecond: commits ? commits.idlePerSecond : null,
    pgQueriesPerSaga,
    systemPgQueriesPerSaga: sumOf(pgQueriesPerSaga),
    pgSocketWritesPerSaga,
    systemPgSocketWritesPerSaga: sumOf(pgSocketWritesPerSaga),
    cpuMsPerSaga,
    systemCpuMsPerSaga: systemCpu,
    postgresCpuMsPerSaga: postgresAfter.size > 0 ? postgresMs / n : null,
    peakRssMb,
    rssAt,
    outcomes: loop.outcomes,
    unexpected: loop.unexpected,
    problems: loop.problems,
    stoppedByDeadline: loop.stoppedByDeadline,
  };
}

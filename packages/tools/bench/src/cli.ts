// The full-system benchmark: the create-order saga through the orchestrator's HTTP API
// and the real services, against the same process written by hand, in one run.
//
//   npm run bench -- system [--sagas 300] [--serial-sagas 40] [--concurrency 1,32]
//                           [--modes one,separate] [--prefill 0] [--json] [--cpu-prof DIR]
//
// See `--help` and the README's benchmark section.
import type pg from "pg";
import { startPrefixAutovacuum } from "./autovacuum.ts";
import { onInterrupt, stopAll } from "./children.ts";
import { BenchErrorCode, BenchErrors } from "./errors.ts";
import { closedLoop } from "./load.ts";
import { measure, openStats } from "./measure.ts";
import { type PhaseResult, printReport, type RunReport } from "./report.ts";
import { dropRunSchemas } from "./run-schemas.ts";
import { databaseUrl, deadline, runId, schemaPrefix, settings, sleep, values } from "./settings.ts";
import { type Emulator, startBaseline, startEmulator, startEngine } from "./systems.ts";

// The overall deadline, whatever hangs: a clear message, children killed, exit 2.
const watchdog = setTimeout(
  () => {
    process.stderr.write(
      `bench: the run passed its deadline (${settings.deadlineMinutes} min); stopping\n`,
    );
    void stopAll().finally(() => process.exit(2));
  },
  settings.deadlineMinutes * 60_000 + 60_000,
);
watchdog.unref();

async function runSystem(
  mode: "one" | "separate",
  system: "sagaworks" | "baseline",
  emulator: Emulator,
  stats: pg.Client | undefined,
  results: PhaseResult[],
): Promise<void> {
  const prefix = `bench-${runId}-${mode === "one" ? "o" : "s"}${system === "sagaworks" ? "e" : "b"}`;
  process.stderr.write(
    `bench: starting ${system} (${mode === "one" ? "one process" : "separate processes"})\n`,
  );
  const sut =
    system === "sagaworks"
      ? await startEngine(mode, emulator, prefix)
      : await startBaseline(mode, emulator, prefix);
  try {
    if (settings.warmup > 0) {
      const warm = await closedLoop({
        sagas: settings.warmup,
        concurrency: Math.min(4, settings.warmup),
        start: (i) => sut.start(i),
        expected: (i) => sut.expected(i),
        events: sut.events,
        deadline,
      });
      if (warm.unexpected > 0)
        throw BenchErrors.create(
          BenchErrorCode.warmUpFailed,
          `${system} failed its warm-up: ${warm.problems.join("; ")}`,
        );
    }
    // The first phase's "before" reading must not miss the warm-up's late-flushed commits.
    if (stats && settings.commitFlushMs > 0) await sleep(settings.commitFlushMs);
    if (settings.prefill > 0 && sut.prefill) {
      process.stderr.write(`bench: adding ${settings.prefill} rows to saga_instances\n`);
      await sut.prefill(settings.prefill);
    }
    for (const inFlight of settings.concurrency) {
      if (Date.now() > deadline) break;
      const result = await measure(mode, system, sut, emulator, stats, inFlight);
      process.stderr.write(
        `bench: ${system} ${mode} ×${inFlight}: ${result.sagas} sagas, ${result.sagasPerSecond.toFixed(1)}/s, p50 ${result.p50.toFixed(1)} ms\n`,
      );
      results.push(result);
    }
  } finally {
    await sut.stop();
  }
}

const results: PhaseResult[] = [];
const notes: string[] = [];
let stats: pg.Client | undefined;
let failed = false;
let vacuum: ReturnType<typeof startPrefixAutovacuum> | undefined;
let vacuumClient: pg.Client | undefined;
try {
  stats = await openStats();
  onInterrupt(dropRunSchemas);
  // This machine's test server runs with autovacuum off. Sagaworks' outbox, timer and inbox
  // tables take an insert and a delete per step; without a vacuum their dead rows pile up all
  // run long and every read of them slows, which no deployment's database does. Both systems
  // get the same stand-in; its own work counts in the Postgres CPU.
  const autovacuum = stats
    ? String(((await stats.query("show autovacuum")).rows[0] as { autovacuum: string }).autovacuum)
    : "on";
  if (autovacuum !== "on" && settings.vacuumSeconds > 0) {
    vacuumClient = await openStats();
    const client = vacuumClient as pg.Client;
    vacuum = startPrefixAutovacuum(
      (text, values) => client.query(text, values),
      schemaPrefix,
      settings.vacuumSeconds * 1000,
    );
  }
  for (const mode of settings.modes as ("one" | "separate")[]) {
    if (mode === "separate" && !databaseUrl) {
      notes.push(
        "separate processes: not run, PGlite lives inside one process; set DATABASE_URL to run it",
      );
      continue;
    }
    const emulator = await startEmulator();
    try {
      await runSystem(mode, "sagaworks", emulator, stats, results);
      if (settings.baseline) await runSystem(mode, "baseline", emulator, stats, results);
    } finally {
      await emulator.child.stop();
    }
  }
} catch (error) {
  failed = true;
  process.stderr.write(
    `bench: failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
} finally {
  await vacuum?.stop();
  await vacuumClient?.end().catch(() => {});
  if (vacuum) {
    const byTable = Object.entries(vacuum.log.byTable)
      .sort(([, a], [, b]) => b - a)
      .map(([table, n]) => `${table} ${n}`)
      .join(", ");
    notes.push(
      `autovacuum is off on this server: the run vacuumed (and analyzed) tables past autovacuum's default threshold every ${settings.vacuumSeconds} s, ${vacuum.log.vacuums} times (${byTable || "none"})${vacuum.log.errors.length > 0 ? `; failures: ${vacuum.log.errors.join("; ")}` : ""}`,
    );
  }
  await stopAll();
  await stats?.end().catch(() => {});
  if (stats)
    await dropRunSchemas().catch((error: unknown) =>
      process.stderr.write(
        `bench: could not drop the schemas ${schemaPrefix}*: ${String(error)}\n`,
      ),
    );
}

const report: RunReport = {
  node: process.version,
  postgres: databaseUrl
    ? "postgres (DATABASE_URL)"
    : "embedded PGlite (no pg_stat_database: commits unavailable)",
  broker: "fauxqs in its own process",
  cpus: (await import("node:os")).cpus().length,
  loadAverage: (await import("node:os")).loadavg(),
  settings: {
    sagas: settings.sagas,
    serialSagas: settings.serialSagas,
    concurrency: settings.concurrency,
    prefill: settings.prefill,
    warmup: settings.warmup,
  },
  results,
  notes,
};
if (results.length > 0 || !failed) printReport(report, values.json);
clearTimeout(watchdog);
// Numbers from orders that failed are not comparable: the tables say which, the exit code too.
const unexpected = results.some((r) => r.unexpected > 0 || r.stoppedByDeadline);
process.exit(failed || unexpected ? 1 : 0);

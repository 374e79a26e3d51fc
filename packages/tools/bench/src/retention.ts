// `npm run bench -- retention`: what pruning finished sagas costs the sagas that run meanwhile,
// and whether the tables stop growing. Not a timed test: it prints numbers for a person to read.
//
// 1. A backlog of finished create-order sagas (instance and history rows, copied from a real
//    one, finished 100 days ago) is put in the orchestrator's tables by set-based SQL (a
//    million in a few minutes).
// 2. Rounds of two phases of equal length, sagas at full speed (a closed loop of clients): one
//    without pruning, then one while a pruner (production settings) archives the backlog to a
//    folder and deletes it; so the phases alternate A/B/A/B and the machine's other load falls
//    on both. The backlog is topped up before each round. The report pools the phases of each
//    kind as well as comparing them round by round.
// 3. A long run of N sagas with a short retention: table sizes and live rows sampled as it goes.
//    Any backlog left from the rounds is deleted first by one set-based statement (draining a
//    million through the pruner is not what it measures); run it alone (--rounds 0) to start
//    from empty tables.
//
// Everything runs in this process (the system, as `startSystem` wires it, and the pruner, as
// an orchestrator replica runs it) except the SQS/SNS emulator, which has its own.
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { FolderArchive, SagaRetention } from "@sagaworks/orchestrator";
import { createMetricsRegistry, type Knex, silentLogger } from "@sagaworks/platform";
import { type RunningSystem, startSystem } from "@sagaworks/system";
import { applyTopology, deriveTopology, eventQueueName } from "@sagaworks/topology";
import { startAutovacuum, type VacuumLog } from "./autovacuum.ts";
import { onInterrupt, startChild, stopAll } from "./children.ts";
import { BenchErrorCode, BenchErrors } from "./errors.ts";
import { closedLoop, EventWaiter, type LoopResult, percentile } from "./load.ts";
import { prefillFinished } from "./retention-backlog.ts";
import { dropSchemasWithPrefix } from "./schema-cleanup.ts";
import { openBenchCustomer, startBenchSaga } from "./shop-requests.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "retention"),
  options: {
    backlog: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "2" },
    "phase-seconds": { type: "string", default: "60" },
    concurrency: { type: "string", default: "16" },
    "batch-size": { type: "string", default: "0" },
    "duty-cycle": { type: "string", default: "0" },
    "max-per-second": { type: "string", default: "0" },
    "flat-sagas": { type: "string", default: "100000" },
    "flat-minutes": { type: "string", default: "60" },
    "flat-retention-seconds": { type: "string", default: "30" },
    "sample-seconds": { type: "string", default: "20" },
    "vacuum-seconds": { type: "string", default: "15" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(`Usage: npm run bench -- retention [options]   (needs DATABASE_URL)

  --backlog N                 finished sagas in the tables during each round (1000000)
  --rounds N                  rounds of (no pruning, pruning) phases: 2 is A/B/A/B (2)
  --phase-seconds N           length of each phase (60)
  --concurrency N             clients in flight (16)
  --batch-size N              the pruner's batch size (0: the production default)
  --duty-cycle X              the pruner's duty cycle (0: the production default)
  --max-per-second N          the pruner's pace in sagas a second (0: the production default)
  --flat-sagas N              sagas in the long run with a short retention (100000; 0 skips it)
  --flat-minutes N            longest the long run may take (60)
  --flat-retention-seconds N  retention in the long run (30)
  --sample-seconds N          table sizes sampled this often in the long run (20)
  --vacuum-seconds N          when the server runs with autovacuum off, vacuum tables past
                              autovacuum's default threshold this often, in every phase (15;
                              0: never)
  --json                      JSON instead of markdown
`);
  process.exit(0);
}
const number = (name: keyof typeof values) => {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < 0)
    throw BenchErrors.create(BenchErrorCode.usage, `--${name} must be a number ≥ 0`);
  return value;
};
const settings = {
  backlog: number("backlog"),
  rounds: number("rounds"),
  phaseSeconds: number("phase-seconds"),
  concurrency: number("concurrency"),
  batchSize: number("batch-size"),
  dutyCycle: number("duty-cycle"),
  maxPerSecond: number("max-per-second"),
  flatSagas: number("flat-sagas"),
  flatMinutes: number("flat-minutes"),
  flatRetentionSeconds: number("flat-retention-seconds"),
  sampleSeconds: number("sample-seconds"),
  vacuumSeconds: number("vacuum-seconds"),
};
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  process.stderr.write(
    "bench retention needs DATABASE_URL (a real Postgres): pruning is about its tables\n",
  );
  process.exit(2);
}

const DAY_MS = 24 * 60 * 60 * 1000;
const run = Math.random().toString(36).slice(2, 8);
const prefix = `bret-${run}`;
const schemaPrefix = `bench_ret_${run}_`;
// A million-saga backlog is gigabytes: the run's schemas go when it ends, however it ends.
const dropSchemas = () =>
  dropSchemasWithPrefix(databaseUrl, schemaPrefix).catch((error: unknown) => {
    process.stderr.write(
      `bench retention: could not drop the schemas ${schemaPrefix}*: ${String(error)}\n`,
    );
  });
onInterrupt(dropSchemas);
const apiToken = "bench-token-0123456789";
const serviceToken = "bench-service-token-0123456789";
const serviceAuth = { authorization: `Bearer ${serviceToken}` };
const CUSTOMERS = 100;
const customerOf = (i: number) => `bench-ret-${i % CUSTOMERS}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

async function seed(system: RunningSystem): Promise<void> {
  for (let i = 0; i < CUSTOMERS; i++)
    await openBenchCustomer(system.urls, customerOf(i), 1_000_000_000, serviceAuth);
}

/** Runs sagas at full speed for `seconds`, or until `sagas` have run. */
function phase(
  system: RunningSystem,
  events: EventWaiter,
  seconds: number,
  sagas = Number.MAX_SAFE_INTEGER,
): Promise<LoopResult> {
  return closedLoop({
    sagas,
    concurrency: settings.concurrency,
    deadline: Date.now() + seconds * 1000,
    events,
    expected: () => "saga.completed",
    start: (i) =>
      startBenchSaga(system.urls.orchestrator, customerOf(i), {
        authorization: `Bearer ${apiToken}`,
      }),
  });
}

type Summary = ReturnType<typeof summary>;
interface RoundResult {
  round: number;
  backlogDuringPhases: number;
  backlogAdded: number;
  prefillSeconds: number;
  withoutPruning: Summary;
  withPruning: Summary;
  prunedDuringPhase: number;
  prunedPerSecond: number;
  throughputRatio: number;
  p50Ratio: number;
  load: string;
}
type Sizes = Record<string, { rows: number; mb: number }>;
interface Sample {
  second: number;
  load: string;
  sizes: Sizes;
}
interface Report {
  settings: typeof settings;
  cores: number;
  /** Whether the server's own autovacuum ran, and what the stand-in vacuumed if not. */
  autovacuum?: string;
  vacuumed?: VacuumLog;
  loadBefore: string;
  loadAfter?: string;
  warmup?: Summary;
  rounds: RoundResult[];
  /** Every phase of a kind pooled: sagas over seconds, and the p50 of all their latencies. */
  pooled?: {
    withoutPruning: Summary;
    withPruning: Summary;
    throughputRatio: number;
    p50Ratio: number;
  };
  flat?: { run: Summary; retentionSeconds: number; samples: Sample[] };
}

const TABLES = ["saga_instances", "saga_history", "saga_inbox", "saga_outbox", "saga_timers"];

async function tableSizes(knex: Knex): Promise<Sizes> {
  const sizes: Sizes = {};
  for (const table of TABLES) {
    const [row] = (
      await knex.raw(
        `select (select count(*) from ${table})::bigint as rows,
                pg_total_relation_size(?::regclass) as bytes`,
        [table],
      )
    ).rows as { rows: string; bytes: string }[];
    sizes[table] = {
      rows: Number(row?.rows),
      mb: Math.round((Number(row?.bytes) / 1024 / 1024) * 10) / 10,
    };
  }
  return sizes;
}

function pruner(system: RunningSystem, folder: string, retentionMs: number) {
  return new SagaRetention({
    db: system.databases.orchestrator,
    logger: silentLogger(),
    archive: new FolderArchive(folder),
    metrics: createMetricsRegistry({ process: "bench" }),
    // The production settings unless --batch-size, --duty-cycle or --max-per-second says otherwise; only the
    // retention and the idle interval always differ.
    options: {
      retentionMs,
      intervalMs: 1_000,
      ...(settings.batchSize > 0 ? { batchSize: settings.batchSize } : {}),
      ...(settings.dutyCycle > 0 ? { dutyCycle: settings.dutyCycle } : {}),
      ...(settings.maxPerSecond > 0 ? { maxSagasPerSecond: settings.maxPerSecond } : {}),
    },
  });
}

const finishedBefore = async (knex: Knex, ms: number) =>
  Number(
    (
      await knex("saga_instances")
        .whereIn("status", ["completed", "compensated", "failed", "resolved"])
        .andWhere("updated_at", "<", new Date(Date.now() - ms))
        .count<{ n: string }[]>({ n: "*" })
    )[0]?.n,
  );

const summary = (result: LoopResult) => ({
  sagas: result.completed,
  perSecond: Math.round((result.completed / result.seconds) * 10) / 10,
  p50: Math.round(percentile(result.latencies, 50)),
  p95: Math.round(percentile(result.latencies, 95)),
  unexpected: result.unexpected,
});

/** Phases of one kind as if they were one phase. */
const pool = (results: LoopResult[]): LoopResult => ({
  completed: results.reduce((n, r) => n + r.completed, 0),
  seconds: results.reduce((n, r) => n + r.seconds, 0),
  latencies: results.flatMap((r) => r.latencies).sort((a, b) => a - b),
  outcomes: {},
  unexpected: results.reduce((n, r) => n + r.unexpected, 0),
  problems: results.flatMap((r) => r.problems),
  stoppedByDeadline: false,
});
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
const phasesOff: LoopResult[] = [];
const phasesOn: LoopResult[] = [];

const emulator = startChild("emulator", new URL("./emulator-process.ts", import.meta.url).pathname);
const { endpoint } = await emulator.message<{ endpoint: string }>("ready", 60_000);
const folder = await mkdtemp(join(tmpdir(), "bench-retention-"));
const report: Report = { settings, loadBefore: load(), cores: cpus().length, rounds: [] };
const system = await startSystem({
  logger: silentLogger(),
  databaseUrl,
  awsEndpoint: endpoint,
  prefix,
  schemaPrefix,
  apiToken,
  serviceToken,
  // The system's own pruner stays paused: each phase below runs its own.
  retention: { archive: undefined, paused: true },
});
const aws = {
  region: "us-east-1",
  endpoint,
  credentials: { accessKeyId: "benchclient", secretAccessKey: "benchclient" },
};
const sqs = new SQSClient(aws);
const sns = new SNSClient(aws);
const applied = await applyTopology(
  { sqs, sns },
  deriveTopology({
    prefix,
    participants: ["order", "account"],
    eventSubscribers: [
      { name: "bench-client", filterPolicy: { name: ["saga.completed", "saga.failed"] } },
    ],
  }),
);
const events = new EventWaiter(
  sqs,
  applied.queueUrls[eventQueueName(prefix, "bench-client")] as string,
  2,
);
/**
 * One round: refill the backlog, then a phase without pruning and one with it. Even rounds run
 * the two phases the other way round, so a drift over the run (tables growing, the machine's
 * other load) falls on both kinds alike instead of always on the second phase.
 */
async function runRound(round: number, knex: Knex): Promise<RoundResult> {
  const missing = settings.backlog - (await finishedBefore(knex, 30 * DAY_MS));
  const t0 = performance.now();
  const added = await prefillFinished(knex, missing, 100 * DAY_MS);
  const prefillSeconds = (performance.now() - t0) / 1000;
  // After a bulk insert autovacuum runs (insert threshold, Postgres 13+) and analyzes; done here
  // before the phases so that neither kind of phase gets the vacuum of a 1 GB table.
  await knex.raw(
    added > 0
      ? "vacuum analyze saga_instances, saga_history"
      : "analyze saga_instances, saga_history",
  );
  const offPhase = async () => {
    const loop = await phase(system, events, settings.phaseSeconds);
    phasesOff.push(loop);
    return summary(loop);
  };
  let before = 0;
  let loadOn = "";
  const onPhase = async () => {
    before = await finishedBefore(knex, 30 * DAY_MS);
    const retention = pruner(system, folder, 30 * DAY_MS);
    loadOn = load();
    retention.start();
    const loop = await phase(system, events, settings.phaseSeconds);
    phasesOn.push(loop);
    await retention.stop();
    return summary(loop);
  };
  let off: Summary;
  let on: Summary;
  if (round % 2 === 1) {
    off = await offPhase();
    on = await onPhase();
  } else {
    on = await onPhase();
    off = await offPhase();
  }
  const pruned = before - (await finishedBefore(knex, 30 * DAY_MS));
  return {
    round,
    backlogDuringPhases: before,
    backlogAdded: added,
    prefillSeconds: Math.round(prefillSeconds),
    withoutPruning: off,
    withPruning: on,
    prunedDuringPhase: pruned,
    prunedPerSecond: Math.round(pruned / settings.phaseSeconds),
    throughputRatio: ratio(on.perSecond, off.perSecond),
    p50Ratio: ratio(on.p50, off.p50),
    load: loadOn,
  };
}

/** The long run with a short retention, sampling the tables as it goes. */
async function runFlat(knex: Knex): Promise<NonNullable<Report["flat"]>> {
  // Whatever backlog the rounds left goes first, set-based and without sagas running, so the
  // long run starts level (draining a million through the pruner would take hours here).
  if ((await finishedBefore(knex, 30 * DAY_MS)) > 0) {
    await knex.raw(
      `with old as (select id from saga_instances where updated_at < now() - interval '30 days'),
       history as (delete from saga_history where saga_id in (select id from old))
       delete from saga_instances where id in (select id from old)`,
    );
    await knex.raw("vacuum analyze saga_instances, saga_history");
  }
  const retention = pruner(system, folder, settings.flatRetentionSeconds * 1000);
  retention.start();
  const samples: Sample[] = [];
  const started = Date.now();
  const sample = async () =>
    samples.push({
      second: Math.round((Date.now() - started) / 1000),
      load: load(),
      sizes: await tableSizes(knex),
    });
  let running = true;
  const sampler = (async () => {
    while (running) {
      await sample();
      const next = Date.now() + settings.sampleSeconds * 1000;
      while (running && Date.now() < next) await sleep(500);
    }
  })();
  const run = summary(await phase(system, events, settings.flatMinutes * 60, settings.flatSagas));
  running = false;
  await sampler;
  await sample();
  await retention.stop();
  return { run, retentionSeconds: settings.flatRetentionSeconds, samples };
}

let vacuum: ReturnType<typeof startAutovacuum> | undefined;
try {
  const knex = system.databases.orchestrator.knex;
  report.autovacuum = String(
    ((await knex.raw("show autovacuum")).rows[0] as { autovacuum: string }).autovacuum,
  );
  if (report.autovacuum !== "on" && settings.vacuumSeconds > 0) {
    vacuum = startAutovacuum(
      Object.values(system.databases).map((db) => db.knex),
      settings.vacuumSeconds * 1000,
    );
    report.vacuumed = vacuum.log;
  }
  await seed(system);
  report.warmup = summary(await phase(system, events, 10));
  for (let round = 1; round <= settings.rounds; round++) {
    report.rounds.push(await runRound(round, knex));
    process.stderr.write(`[bench retention] ${JSON.stringify(report.rounds.at(-1))}\n`);
  }
  if (phasesOff.length > 0) {
    const off = summary(pool(phasesOff));
    const on = summary(pool(phasesOn));
    report.pooled = {
      withoutPruning: off,
      withPruning: on,
      throughputRatio: ratio(on.perSecond, off.perSecond),
      p50Ratio: ratio(on.p50, off.p50),
    };
  }
  if (settings.flatSagas > 0) report.flat = await runFlat(knex);
  report.loadAfter = load();
} finally {
  await vacuum?.stop();
  await events.stop();
  sqs.destroy();
  sns.destroy();
  await system.stop();
  await stopAll();
  await rm(folder, { recursive: true, force: true });
  await dropSchemas();
}
printRetentionReport(report, values.json ?? false);

function printRetentionReport(data: Report, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  const lines = [
    `# Retention benchmark (${data.cores} cores; load before ${data.loadBefore}, after ${data.loadAfter})`,
    "",
    `Backlog ${settings.backlog} finished sagas, ${settings.concurrency} clients, phases of ${settings.phaseSeconds} s.`,
    "",
    `Server autovacuum: ${data.autovacuum}${
      data.vacuumed
        ? `; the stand-in vacuumed ${data.vacuumed.vacuums} times (${Object.entries(
            data.vacuumed.byTable,
          )
            .map(([t, n]) => `${t} ${n}`)
            .join(
              ", ",
            )}), every ${settings.vacuumSeconds} s at autovacuum's default threshold${data.vacuumed.errors.length > 0 ? `; failures: ${data.vacuumed.errors.join(" | ")}` : ""}`
        : ""
    }.`,
    "",
    "| round | backlog | sagas/s off | sagas/s pruning | ratio | p50 off | p50 pruning | ratio | pruned in phase | pruned/s | load |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of data.rounds) {
    lines.push(
      `| ${r.round} | ${r.backlogDuringPhases} | ${r.withoutPruning.perSecond} | ${r.withPruning.perSecond} | ${r.throughputRatio} | ${r.withoutPruning.p50} ms | ${r.withPruning.p50} ms | ${r.p50Ratio} | ${r.prunedDuringPhase} | ${r.prunedPerSecond} | ${r.load} |`,
    );
  }
  lines.push(
    "",
    data.rounds
      .map(
        (r) =>
          `Round ${r.round}: ${r.backlogAdded} finished sagas seeded in ${r.prefillSeconds} s.`,
      )
      .join(" "),
  );
  const { pooled } = data;
  if (pooled) {
    lines.push(
      "",
      `Pooled: ${pooled.withoutPruning.sagas} sagas without pruning (${pooled.withoutPruning.perSecond}/s, p50 ${pooled.withoutPruning.p50} ms, p95 ${pooled.withoutPruning.p95} ms), ${pooled.withPruning.sagas} with (${pooled.withPruning.perSecond}/s, p50 ${pooled.withPruning.p50} ms, p95 ${pooled.withPruning.p95} ms): throughput ratio ${pooled.throughputRatio}, p50 ratio ${pooled.p50Ratio}.`,
    );
  }
  const { flat } = data;
  if (flat) {
    lines.push(
      "",
      `Long run: ${flat.run.sagas} sagas (${flat.run.perSecond}/s, p50 ${flat.run.p50} ms, ${flat.run.unexpected} unexpected), retention ${flat.retentionSeconds} s.`,
      "",
      `| s | ${TABLES.map((t) => `${t} rows / MB`).join(" | ")} | load |`,
      `| --- | ${TABLES.map(() => "---").join(" | ")} | --- |`,
    );
    for (const sample of flat.samples) {
      const cells = TABLES.map((t) => `${sample.sizes[t]?.rows} / ${sample.sizes[t]?.mb}`);
      lines.push(`| ${sample.second} | ${cells.join(" | ")} | ${sample.load} |`);
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

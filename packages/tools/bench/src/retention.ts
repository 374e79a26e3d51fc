// `npm run bench -- retention`: what pruning finished sagas costs the sagas that run meanwhile,
// and whether the tables stop growing. Not a timed test: it prints numbers for a person to read.
//
// 1. A backlog of finished create-order sagas (instance and history rows, copied from a real
//    one, finished 100 days ago) is put in the orchestrator's tables.
// 2. Rounds of two phases of equal length, sagas at full speed (a closed loop of clients): one
//    without pruning, then one while a pruner (production batch size and pause) archives the
//    backlog to a folder and deletes it. The backlog is refilled before each round.
// 3. A long run with a short retention: table sizes and live rows sampled as it goes.
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
import { startChild, stopAll } from "./children.ts";
import { BenchErrorCode, BenchErrors } from "./errors.ts";
import { closedLoop, EventWaiter, type LoopResult, percentile } from "./load.ts";
import { prefillFinished } from "./retention-backlog.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "retention"),
  options: {
    backlog: { type: "string", default: "50000" },
    rounds: { type: "string", default: "2" },
    "phase-seconds": { type: "string", default: "45" },
    concurrency: { type: "string", default: "16" },
    "flat-minutes": { type: "string", default: "3" },
    "flat-retention-seconds": { type: "string", default: "30" },
    "sample-seconds": { type: "string", default: "20" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(`Usage: npm run bench -- retention [options]   (needs DATABASE_URL)

  --backlog N                 finished sagas put in the tables before each round (50000)
  --rounds N                  rounds of (no pruning, pruning) phases (2)
  --phase-seconds N           length of each phase (45)
  --concurrency N             clients in flight (16)
  --flat-minutes N            the long run with a short retention (3; 0 skips it)
  --flat-retention-seconds N  retention in the long run (30)
  --sample-seconds N          table sizes sampled this often in the long run (20)
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
  flatMinutes: number("flat-minutes"),
  flatRetentionSeconds: number("flat-retention-seconds"),
  sampleSeconds: number("sample-seconds"),
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

async function post(url: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

async function seed(system: RunningSystem): Promise<void> {
  for (let i = 0; i < CUSTOMERS; i++) {
    const id = customerOf(i);
    const customer = await post(
      `${system.urls.customer}/customers`,
      { id, name: `Customer ${i}`, email: `${id}@example.com`, creditLimitCents: 1_000_000_000 },
      serviceAuth,
    );
    if (customer.status !== 201 && customer.status !== 409)
      throw BenchErrors.create(
        BenchErrorCode.requestRefused,
        `creating customer ${id} answered ${customer.status}: ${customer.text}`,
      );
    const account = await post(
      `${system.urls.account}/accounts`,
      { customerId: id, creditLimitCents: 1_000_000_000 },
      serviceAuth,
    );
    if (account.status !== 201 && account.status !== 409)
      throw BenchErrors.create(
        BenchErrorCode.requestRefused,
        `opening the account of ${id} answered ${account.status}: ${account.text}`,
      );
  }
}

/** Runs sagas at full speed for `seconds`. */
function phase(system: RunningSystem, events: EventWaiter, seconds: number): Promise<LoopResult> {
  return closedLoop({
    sagas: Number.MAX_SAFE_INTEGER,
    concurrency: settings.concurrency,
    deadline: Date.now() + seconds * 1000,
    events,
    expected: () => "saga.completed",
    async start(i) {
      const answer = await post(
        `${system.urls.orchestrator}/sagas/create-order`,
        {
          input: {
            customerId: customerOf(i),
            items: [{ sku: "sku-bench", quantity: 1, unitPriceCents: 100 }],
            totalCents: 100,
          },
        },
        { authorization: `Bearer ${apiToken}` },
      );
      if (answer.status !== 201)
        throw BenchErrors.create(
          BenchErrorCode.requestRefused,
          `start: ${answer.status} ${answer.text}`,
        );
      return { id: (JSON.parse(answer.text) as { sagaId: string }).sagaId };
    },
  });
}

type Summary = ReturnType<typeof summary>;
interface RoundResult {
  round: number;
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
  loadBefore: string;
  loadAfter?: string;
  warmup?: Summary;
  rounds: RoundResult[];
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
    // The production batch size and pause; only the retention and the idle interval differ.
    options: { retentionMs, intervalMs: 1_000 },
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

const emulator = startChild("emulator", new URL("./emulator-process.ts", import.meta.url).pathname);
const { endpoint } = await emulator.message<{ endpoint: string }>("ready", 60_000);
const folder = await mkdtemp(join(tmpdir(), "bench-retention-"));
const report: Report = { settings, loadBefore: load(), cores: cpus().length, rounds: [] };
const system = await startSystem({
  logger: silentLogger(),
  databaseUrl,
  awsEndpoint: endpoint,
  prefix,
  schemaPrefix: `bench_ret_${run}_`,
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
/** One round: refill the backlog, then a phase without pruning and one with it. */
async function runRound(round: number, knex: Knex): Promise<RoundResult> {
  const missing = settings.backlog - (await finishedBefore(knex, 30 * DAY_MS));
  const t0 = performance.now();
  const added = await prefillFinished(knex, missing, 100 * DAY_MS);
  const prefillSeconds = (performance.now() - t0) / 1000;
  await knex.raw("analyze saga_instances, saga_history");
  const off = summary(await phase(system, events, settings.phaseSeconds));
  const before = await finishedBefore(knex, 30 * DAY_MS);
  const retention = pruner(system, folder, 30 * DAY_MS);
  const loadOn = load();
  retention.start();
  const on = summary(await phase(system, events, settings.phaseSeconds));
  await retention.stop();
  const pruned = before - (await finishedBefore(knex, 30 * DAY_MS));
  return {
    round,
    backlogAdded: added,
    prefillSeconds: Math.round(prefillSeconds),
    withoutPruning: off,
    withPruning: on,
    prunedDuringPhase: pruned,
    prunedPerSecond: Math.round(pruned / settings.phaseSeconds),
    throughputRatio: Math.round((on.perSecond / off.perSecond) * 1000) / 1000,
    p50Ratio: Math.round((on.p50 / off.p50) * 1000) / 1000,
    load: loadOn,
  };
}

/** The long run with a short retention, sampling the tables as it goes. */
async function runFlat(knex: Knex): Promise<NonNullable<Report["flat"]>> {
  // Whatever backlog is left goes first, without sagas running, so the long run starts level.
  const drain = pruner(system, folder, 30 * DAY_MS);
  while ((await drain.pruneOnce()).sagas > 0) {}
  await drain.stop();
  await knex.raw("vacuum analyze saga_instances, saga_history");
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
  const sampler = (async () => {
    while (Date.now() - started < settings.flatMinutes * 60_000) {
      await sample();
      await sleep(settings.sampleSeconds * 1000);
    }
  })();
  const run = summary(await phase(system, events, settings.flatMinutes * 60));
  await sampler;
  await sample();
  await retention.stop();
  return { run, retentionSeconds: settings.flatRetentionSeconds, samples };
}

try {
  const knex = system.databases.orchestrator.knex;
  await seed(system);
  report.warmup = summary(await phase(system, events, 10));
  for (let round = 1; round <= settings.rounds; round++) {
    report.rounds.push(await runRound(round, knex));
    process.stderr.write(`[bench retention] ${JSON.stringify(report.rounds.at(-1))}\n`);
  }
  if (settings.flatMinutes > 0) report.flat = await runFlat(knex);
  report.loadAfter = load();
} finally {
  await events.stop();
  sqs.destroy();
  sns.destroy();
  await system.stop();
  await stopAll();
  await rm(folder, { recursive: true, force: true });
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
    `Backlog ${settings.backlog} finished sagas per round, ${settings.concurrency} clients, phases of ${settings.phaseSeconds} s.`,
    "",
    "| round | sagas/s off | sagas/s pruning | ratio | p50 off | p50 pruning | ratio | pruned in phase | pruned/s | load |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of data.rounds) {
    lines.push(
      `| ${r.round} | ${r.withoutPruning.perSecond} | ${r.withPruning.perSecond} | ${r.throughputRatio} | ${r.withoutPruning.p50} ms | ${r.withPruning.p50} ms | ${r.p50Ratio} | ${r.prunedDuringPhase} | ${r.prunedPerSecond} | ${r.load} |`,
    );
  }
  const { flat } = data;
  if (flat) {
    lines.push(
      "",
      `Long run: ${flat.run.sagas} sagas (${flat.run.perSecond}/s, p50 ${flat.run.p50} ms), retention ${flat.retentionSeconds} s.`,
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

// The full-system benchmark (issue 12): the create-order saga through the orchestrator's HTTP API
// and the real services, against the same process written by hand, in one run.
//
//   npm run bench -- system [--sagas 300] [--serial-sagas 40] [--concurrency 1,32]
//                           [--modes one,separate] [--prefill 0] [--json] [--cpu-prof DIR]
//
// See `--help` and the README's benchmark section.
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { redactUrl } from "@sagaworks/platform";
import { applyTopology, deriveTopology, eventQueueName } from "@sagaworks/topology";
import pg from "pg";
import type { BaselineQueues } from "./baseline.ts";
import { type Child, cpuMsOf, onInterrupt, peakRssMbOf, startChild, stopAll } from "./children.ts";
import { closedLoop, EventWaiter, type LoopResult, percentile, type StartResult } from "./load.ts";
import { prefillSql } from "./prefill.ts";
import { type PhaseResult, printReport, type RunReport } from "./report.ts";

const usage = `Full-system benchmark: Sagaworks vs the same process written by hand.

  npm run bench -- system [options]

  --sagas N          orders per phase with more than one in flight (default 300)
  --serial-sagas N   orders per phase with one in flight (default 40)
  --concurrency L    clients in flight, comma list (default 1,32)
  --modes L          one (whole system in one process), separate (2 orchestrators and one
                     process per service; needs DATABASE_URL) (default one,separate)
  --prefill N        finished instances added to saga_instances before measuring (default 0)
  --warmup N         orders before measuring, per system (default 20)
  --settle-ms N      wait after a phase before reading the request and CPU counters (default 1500)
  --commit-flush-ms N  wait after a phase before reading pg_stat_database, which a connection
                     that went idle flushes up to 10 s late (default 11000; 0: no commit counts)
  --deadline-min N   the whole run ends by then, measured or not (default 15)
  --cpu-prof DIR     profile the one-process Sagaworks system with node --cpu-prof into DIR
  --no-baseline      only Sagaworks
  --json             print the results as JSON instead of tables

  DATABASE_URL       real Postgres (schemas bench_<run>_*, dropped afterwards); unset: PGlite`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sagas: { type: "string", default: "300" },
    "serial-sagas": { type: "string", default: "40" },
    concurrency: { type: "string", default: "1,32" },
    modes: { type: "string", default: "one,separate" },
    prefill: { type: "string", default: "0" },
    warmup: { type: "string", default: "20" },
    "settle-ms": { type: "string", default: "1500" },
    "commit-flush-ms": { type: "string", default: "11000" },
    "deadline-min": { type: "string", default: "15" },
    "cpu-prof": { type: "string" },
    "no-baseline": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help || (positionals[0] && positionals[0] !== "system")) {
  process.stdout.write(`${usage}\n`);
  process.exit(values.help ? 0 : 2);
}

const positive = (name: string, text: string, min = 1) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`bench: --${name} must be an integer ≥ ${min}, got "${text}"\n`);
    process.exit(2);
  }
  return n;
};
const settings = {
  sagas: positive("sagas", values.sagas),
  serialSagas: positive("serial-sagas", values["serial-sagas"]),
  concurrency: values.concurrency.split(",").map((c) => positive("concurrency", c.trim())),
  modes: values.modes.split(",").map((m) => m.trim()),
  prefill: positive("prefill", values.prefill, 0),
  warmup: positive("warmup", values.warmup, 0),
  settleMs: positive("settle-ms", values["settle-ms"], 0),
  commitFlushMs: positive("commit-flush-ms", values["commit-flush-ms"], 0),
  deadlineMinutes: positive("deadline-min", values["deadline-min"]),
  baseline: !values["no-baseline"],
  cpuProfDir: values["cpu-prof"],
};
for (const mode of settings.modes) {
  if (mode !== "one" && mode !== "separate") {
    process.stderr.write(`bench: unknown mode "${mode}" (one, separate)\n`);
    process.exit(2);
  }
}

const databaseUrl = process.env.DATABASE_URL || undefined;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const repo = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const runId = randomUUID().slice(0, 6);
const schemaPrefix = `bench_${runId}_`;
const apiToken = "bench-token-0123456789";
/** Bearer token of the services' writes (seeding customers and accounts). */
const serviceToken = "bench-service-token-0123456789";
const serviceAuth = { authorization: `Bearer ${serviceToken}` };
const deadline = Date.now() + settings.deadlineMinutes * 60_000;
const CUSTOMERS = 100;
const CREDIT_CENTS = 1_000_000_000;
const customerIds = Array.from(
  { length: CUSTOMERS },
  (_, i) => `bench-cust-${String(i).padStart(3, "0")}`,
);
/** 2% unknown customers: every 50th order. */
const isUnknown = (i: number) => i % 50 === 49;
const customerOf = (i: number) =>
  isUnknown(i) ? `bench-unknown-${i}` : (customerIds[i % CUSTOMERS] as string);

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** Waits until `GET <url>/ready` answers 200, failing early if the child ends. */
async function waitReady(child: Child, url: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let exit: string | undefined;
  void child.exited.then((text) => {
    exit = text;
  });
  for (;;) {
    if (exit) {
      const last = child.lines.at(-1);
      throw new Error(
        `${child.name} ended (${exit}) before it was ready${last ? `; its last log line: ${JSON.stringify(last)}` : ""}`,
      );
    }
    try {
      const response = await fetch(`${url}/ready`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > until)
      throw new Error(`${child.name} was not ready at ${url} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The runner's own SQS/SNS clients; their access key tells the emulator they are the client. */
function clientAws(endpoint: string) {
  const common = {
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "benchclient", secretAccessKey: "benchclient" },
  };
  return { sqs: new SQSClient(common), sns: new SNSClient(common) };
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text };
}

/** The Postgres-side counters; undefined on PGlite, which has no pg_stat_database. */
async function openStats(): Promise<pg.Client | undefined> {
  if (!databaseUrl) return undefined;
  const client = new pg.Client({ connectionString: databaseUrl });
  // A dropped connection (a server restart) fails the next reading, not the whole process.
  client.on("error", (error) =>
    process.stderr.write(`bench: the pg_stat_database connection failed: ${error}\n`),
  );
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `cannot reach Postgres at DATABASE_URL (${redactUrl(databaseUrl)}): ${String(error)}; ` +
        "start it, fix the URL, or unset DATABASE_URL to run on embedded PGlite",
    );
  }
  return client;
}

async function xactCommits(stats: pg.Client | undefined): Promise<number | undefined> {
  if (!stats) return undefined;
  const { rows } = await stats.query<{ n: string }>(
    "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()",
  );
  return Number(rows[0]?.n ?? Number.NaN);
}

interface Emulator {
  child: Child;
  endpoint: string;
  counts(): Promise<Record<string, number>>;
  reset(): Promise<void>;
}

async function startEmulator(): Promise<Emulator> {
  const child = startChild("emulator", here("./emulator-process.ts"));
  const { endpoint } = await child.message<{ endpoint: string }>("ready", 60_000);
  return {
    child,
    endpoint,
    async counts() {
      child.send({ type: "counts" });
      return (await child.message<{ counts: Record<string, number> }>("counts", 10_000)).counts;
    },
    async reset() {
      child.send({ type: "reset" });
      await child.message("reset-done", 10_000);
    },
  };
}

/** A running system under test: its processes, and how to start order `i` on it. */
interface SystemUnderTest {
  children: Child[];
  start(i: number): Promise<StartResult>;
  expected(i: number): string;
  events: EventWaiter;
  prefill?(rows: number): Promise<void>;
  stop(): Promise<void>;
}

async function seedEngine(customerUrl: string, accountUrl: string): Promise<void> {
  for (const id of customerIds) {
    const customer = await postJson(
      `${customerUrl}/customers`,
      {
        id,
        name: `Customer ${id}`,
        email: `${id}@example.com`,
        creditLimitCents: CREDIT_CENTS,
      },
      serviceAuth,
    );
    if (customer.status !== 201 && customer.status !== 409)
      throw new Error(`creating customer ${id}: ${customer.status} ${customer.text}`);
    const account = await postJson(
      `${accountUrl}/accounts`,
      {
        customerId: id,
        creditLimitCents: CREDIT_CENTS,
      },
      serviceAuth,
    );
    if (account.status !== 201 && account.status !== 409)
      throw new Error(`opening the account of ${id}: ${account.status} ${account.text}`);
  }
}

const TERMINAL = ["saga.completed", "saga.compensated", "saga.failed", "saga.needs-intervention"];

async function startEngine(
  mode: "one" | "separate",
  emulator: Emulator,
  prefix: string,
): Promise<SystemUnderTest> {
  const children: Child[] = [];
  const stop = async () => {
    for (const child of children.reverse()) await child.stop();
  };
  try {
    let orchestratorUrls: string[];
    let customerUrl: string;
    let accountUrl: string;
    let prefill: (rows: number) => Promise<void>;
    // The runner's OTEL_* settings reach the Sagaworks processes, to measure tracing on and off.
    const otel = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] =>
          entry[0].startsWith("OTEL_") && entry[1] !== undefined,
      ),
    );
    const common = {
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      AWS_ENDPOINT_URL: emulator.endpoint,
      SAGAWORKS_ENV_PREFIX: prefix,
      LOG_LEVEL: "warn",
      // A bench is a development setup: the processes create the topology and may run on PGlite.
      SAGAWORKS_ENV: "dev",
      SERVICE_WRITE_TOKEN: serviceToken,
      ...otel,
    };
    if (mode === "one") {
      const execArgv: string[] = [];
      if (settings.cpuProfDir) {
        mkdirSync(settings.cpuProfDir, { recursive: true });
        execArgv.push("--cpu-prof", `--cpu-prof-dir=${settings.cpuProfDir}`);
      }
      const child = startChild("sagaworks (one process)", here("./system-process.ts"), {
        execArgv,
        env: {
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
          BENCH_ENDPOINT: emulator.endpoint,
          BENCH_PREFIX: prefix,
          BENCH_SCHEMA_PREFIX: `${schemaPrefix}one_`,
          BENCH_API_TOKEN: apiToken,
          BENCH_SERVICE_TOKEN: serviceToken,
          ...otel,
        },
      });
      children.push(child);
      const ready = await child.message<{
        orchestratorUrls: string[];
        customerUrl: string;
        accountUrl: string;
      }>("ready", 240_000);
      ({ orchestratorUrls, customerUrl, accountUrl } = ready);
      prefill = async (rows) => {
        child.send({ type: "prefill", rows });
        const done = await child.message<{ error?: string; rows?: number }>(
          "prefill-done",
          600_000,
        );
        if (done.error) throw new Error(`prefill failed: ${done.error}`);
        if (done.rows !== rows) throw new Error(`prefill added ${done.rows} rows, not ${rows}`);
      };
    } else {
      const wrapper = here("./service-wrapper.ts");
      const service = async (
        name: string,
        main: string,
        env: Record<string, string>,
        port: number,
      ) => {
        const child = startChild(name, wrapper, { args: [repo(main)], env: { ...common, ...env } });
        children.push(child);
        const url = `http://127.0.0.1:${port}`;
        await waitReady(child, url);
        return url;
      };
      let port = await freePort();
      customerUrl = await service(
        "customer",
        "packages/services/customer/src/main.ts",
        {
          PORT: String(port),
          CUSTOMER_DB_SCHEMA: `${schemaPrefix}sep_customer`,
          CUSTOMER_SEED: "false",
        },
        port,
      );
      orchestratorUrls = [];
      const orchestratorSchema = `${schemaPrefix}sep_orchestrator`;
      // One after the other: the first one migrates the schema and applies the topology.
      for (const replica of [1, 2]) {
        port = await freePort();
        orchestratorUrls.push(
          await service(
            `orchestrator-${replica}`,
            "packages/orchestrator/src/main.ts",
            {
              ORCHESTRATOR_PORT: String(port),
              ORCHESTRATOR_DB_SCHEMA: orchestratorSchema,
              ORCHESTRATOR_API_TOKEN: apiToken,
              SERVICE_URLS: `customer=${customerUrl}`,
              // What startSystem gives the one-process orchestrator.
              REPLY_CONCURRENCY: "20",
            },
            port,
          ),
        );
      }
      port = await freePort();
      accountUrl = await service(
        "account",
        "packages/services/account/src/main.ts",
        { PORT: String(port), ACCOUNT_DB_SCHEMA: `${schemaPrefix}sep_accounts` },
        port,
      );
      port = await freePort();
      await service(
        "order",
        "packages/services/order/src/main.ts",
        { PORT: String(port), ORDER_DB_SCHEMA: `${schemaPrefix}sep_orders` },
        port,
      );
      prefill = async (rows) => {
        const client = new pg.Client({ connectionString: databaseUrl });
        client.on("error", () => {}); // A failure surfaces as the query's rejection.
        await client.connect();
        try {
          await client.query(`SET search_path TO "${orchestratorSchema}"`);
          const result = await client.query(prefillSql(rows));
          if (result.rowCount !== rows)
            throw new Error(`prefill added ${result.rowCount} rows, not ${rows}`);
        } finally {
          await client.end();
        }
      };
    }
    await seedEngine(customerUrl, accountUrl);
    // The clients' queue, subscribed to the saga-events topic for terminal events only.
    const aws = clientAws(emulator.endpoint);
    const subscriber = "bench-client";
    const applied = await applyTopology(
      aws,
      deriveTopology({
        prefix,
        participants: ["order", "account"],
        eventSubscribers: [{ name: subscriber, filterPolicy: { name: TERMINAL } }],
      }),
    );
    const queueUrl = applied.queueUrls[eventQueueName(prefix, subscriber)];
    if (!queueUrl) throw new Error("the client's event queue was not created");
    const events = new EventWaiter(aws.sqs, queueUrl, 2);
    const auth = { authorization: `Bearer ${apiToken}` };
    return {
      children,
      events,
      prefill,
      async start(i) {
        const url = orchestratorUrls[i % orchestratorUrls.length] as string;
        const answer = await postJson(
          `${url}/sagas/create-order`,
          {
            input: {
              customerId: customerOf(i),
              items: [{ sku: "sku-bench", quantity: 1, unitPriceCents: 100 }],
              totalCents: 100,
            },
          },
          auth,
        );
        if (answer.status !== 201) throw new Error(`start: ${answer.status} ${answer.text}`);
        return { id: (JSON.parse(answer.text) as { sagaId: string }).sagaId };
      },
      expected: (i) => (isUnknown(i) ? "saga.failed" : "saga.completed"),
      async stop() {
        await events.stop();
        aws.sqs.destroy();
        aws.sns.destroy();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startBaseline(
  mode: "one" | "separate",
  emulator: Emulator,
  prefix: string,
): Promise<SystemUnderTest> {
  const aws = clientAws(emulator.endpoint);
  const queue = async (name: string) =>
    (await aws.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-bl-${name}` }))).QueueUrl ??
    "";
  const queues: BaselineQueues = {
    account: await queue("account-commands"),
    orderReplies: await queue("order-replies"),
    clientEvents: await queue("client-events"),
  };
  const children: Child[] = [];
  const stopChildren = async () => {
    for (const child of children.reverse()) await child.stop();
  };
  try {
    const env = {
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      BENCH_ENDPOINT: emulator.endpoint,
      BENCH_QUEUES: JSON.stringify(queues),
      BENCH_SCHEMA: `${schemaPrefix}${mode}_baseline`,
      BENCH_SEED: JSON.stringify(customerIds),
      BENCH_CREDIT_CENTS: String(CREDIT_CENTS),
    };
    const part = async (name: string, roles: string, extra: Record<string, string> = {}) => {
      const child = startChild(name, here("./baseline-process.ts"), {
        env: { ...env, ...extra, BENCH_ROLES: roles },
      });
      children.push(child);
      return child.message<{ customerUrl?: string; orderUrl?: string }>("ready", 120_000);
    };
    let orderUrl: string | undefined;
    if (mode === "one") {
      ({ orderUrl } = await part("baseline (one process)", "customer,order,account"));
    } else {
      const { customerUrl } = await part("baseline customer", "customer");
      ({ orderUrl } = await part("baseline order", "order", {
        BENCH_CUSTOMER_URL: customerUrl ?? "",
      }));
      await part("baseline account", "account");
    }
    if (!orderUrl) throw new Error("the baseline's order service reported no URL");
    const events = new EventWaiter(aws.sqs, queues.clientEvents, 2);
    return {
      children,
      events,
      async start(i) {
        const answer = await postJson(`${orderUrl}/orders`, {
          customerId: customerOf(i),
          items: [{ sku: "sku-bench", quantity: 1, unitPriceCents: 100 }],
          totalCents: 100,
        });
        if (answer.status === 422) return { terminal: "order.refused" };
        if (answer.status !== 202) throw new Error(`order: ${answer.status} ${answer.text}`);
        return { id: (JSON.parse(answer.text) as { orderId: string }).orderId };
      },
      expected: (i) => (isUnknown(i) ? "order.refused" : "order.approved"),
      async stop() {
        await events.stop();
        aws.sqs.destroy();
        aws.sns.destroy();
        await stopChildren();
      },
    };
  } catch (error) {
    await stopChildren();
    aws.sqs.destroy();
    aws.sns.destroy();
    throw error;
  }
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

async function measure(
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
  const cpuBefore = processes.map((p) => cpuMsOf(p.pid));
  const clientBefore = process.cpuUsage();
  const commitsBefore = await xactCommits(stats);
  const loop: LoopResult = await closedLoop({
    sagas,
    concurrency: inFlight,
    start: (i) => sut.start(i),
    expected: (i) => sut.expected(i),
    events: sut.events,
    deadline,
  });
  const phaseEnd = Date.now();
  // Let the last lifecycle events and deletes land before reading the counters.
  await sleep(settings.settleMs);
  const counts = await emulator.counts();
  const cpuAfter = processes.map((p) => cpuMsOf(p.pid));
  const clientCpu = process.cpuUsage(clientBefore);
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
    commitsPerSaga: commits ? commits.phase / n : null,
    idleCommitsPerSecond: commits ? commits.idlePerSecond : null,
    cpuMsPerSaga,
    systemCpuMsPerSaga: systemCpu,
    peakRssMb,
    outcomes: loop.outcomes,
    unexpected: loop.unexpected,
    problems: loop.problems,
    stoppedByDeadline: loop.stoppedByDeadline,
  };
}

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
        throw new Error(`${system} failed its warm-up: ${warm.problems.join("; ")}`);
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

async function dropSchemas(): Promise<void> {
  if (!databaseUrl) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => {}); // A failure surfaces as the query's rejection.
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1",
      [`${schemaPrefix}%`],
    );
    for (const { nspname } of rows)
      await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}

const results: PhaseResult[] = [];
const notes: string[] = [];
let stats: pg.Client | undefined;
let failed = false;
try {
  stats = await openStats();
  onInterrupt(dropSchemas);
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
  await stopAll();
  await stats?.end().catch(() => {});
  if (stats)
    await dropSchemas().catch((error: unknown) =>
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

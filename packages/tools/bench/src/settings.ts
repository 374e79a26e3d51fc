// The full-system benchmark's command line, read once: the settings of the run and the facts
// every part of it shares (the run's id and schema prefix, the tokens, the customers).
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const usage = `Full-system benchmark: Sagaworks vs the same process written by hand.

  npm run bench -- system [options]

  --sagas N          orders per phase with more than one in flight (default 300)
  --serial-sagas N   orders per phase with one in flight (default 40)
  --concurrency L    clients in flight, comma list (default 1,32)
  --modes L          one (whole system in one process), separate (2 orchestrators and one
                     process per service; needs DATABASE_URL) (default one,separate)
  --prefill N        finished instances added to saga_instances before measuring (default 0)
  --warmup N         orders before measuring, per system, 4 in flight (default 300: enough for
                     the JIT to settle, so the phases measure a running service, not its start)
  --settle-ms N      wait after a phase before reading the request and CPU counters (default 1500)
  --idle-ms N        after a phase, how long the system idles while its processes' commits
                     are counted: the pollers' rate (default 2000)
  --commit-flush-ms N  also read pg_stat_database (the whole database's commits, other
                     sessions' too): wait this long after a phase, since a connection that
                     went idle flushes its counters up to 10 s late (default 0: not read)
  --vacuum-seconds N on a server whose autovacuum is off, vacuum (and analyze) the run's tables
                     past autovacuum's default threshold this often, as autovacuum would; 0: never
                     (default 5)
  --deadline-min N   the whole run ends by then, measured or not (default 15)
  --cpu-prof DIR     profile the one-process Sagaworks system with node --cpu-prof into DIR (and
                     the one-process baseline into DIR/baseline)
  --rss-at L         sagas ended (comma list, e.g. 1000,10000) at which each phase reads its
                     processes' RSS, to see whether memory stays flat (default none)
  --no-baseline      only Sagaworks
  --json             print the results as JSON instead of tables

Chaos: the same separate processes, a process SIGKILLed and restarted every few seconds.

  npm run bench -- chaos [--sagas 1000] [--in-flight 16] [--kill-every-ms 3000]
                         [--fault-free-sagas 200] [--participant-replicas 1] [--out FILE.md]

  --in-flight N      clients in flight (default 16)
  --kill-every-ms N  time between kills, each of a random orchestrator or participant (default 3000)
  --fault-free-sagas N  orders of the first phase, without kills: SQS requests per saga (default 200)
  --participant-replicas N  processes of order and of account each, as a deployment runs them
                     (default 1; every one of them is a victim of the kills)
  --out FILE         also write the chaos report (Markdown) to FILE
  --start-from W     source: each service's main.ts, as \`pnpm start\` runs it (default); bundle:
                     the workspace code bundled by esbuild, third-party packages from
                     node_modules, as the images run dist/main.js (chaos and startup);
                     bundle-all: third-party packages bundled too (what that would save)

Start-up: CPU and wall time from a process start to /ready, per deployable, started as chaos
restarts them.

  npm run bench -- startup [--starts 5] [--only orchestrator,order,account,customer]
                           [--cpu-prof DIR]

  --starts N         measured starts per deployable, after one that migrates (default 5)
  --only L           deployables to start, comma list (default all four)
  --cpu-prof DIR     node --cpu-prof of each measured start into DIR (stopped by SIGTERM)

  DATABASE_URL       real Postgres (schemas bench_<run>_*, dropped afterwards); unset: PGlite`;

export const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sagas: { type: "string", default: "300" },
    "serial-sagas": { type: "string", default: "40" },
    concurrency: { type: "string", default: "1,32" },
    modes: { type: "string", default: "one,separate" },
    prefill: { type: "string", default: "0" },
    warmup: { type: "string", default: "300" },
    "settle-ms": { type: "string", default: "1500" },
    "idle-ms": { type: "string", default: "2000" },
    "commit-flush-ms": { type: "string", default: "0" },
    "deadline-min": { type: "string", default: "15" },
    "vacuum-seconds": { type: "string", default: "5" },
    "cpu-prof": { type: "string" },
    "rss-at": { type: "string", default: "" },
    "no-baseline": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "in-flight": { type: "string", default: "16" },
    "kill-every-ms": { type: "string", default: "3000" },
    "fault-free-sagas": { type: "string", default: "200" },
    "participant-replicas": { type: "string", default: "1" },
    out: { type: "string" },
    starts: { type: "string", default: "5" },
    "start-from": { type: "string", default: "source" },
    only: { type: "string", default: "orchestrator,order,account,customer" },
    help: { type: "boolean", default: false },
  },
});
if (values.help || (positionals[0] && !["system", "chaos", "startup"].includes(positionals[0]))) {
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
export const settings = {
  sagas: positive("sagas", values.sagas),
  serialSagas: positive("serial-sagas", values["serial-sagas"]),
  concurrency: values.concurrency.split(",").map((c) => positive("concurrency", c.trim())),
  modes: values.modes.split(",").map((m) => m.trim()),
  prefill: positive("prefill", values.prefill, 0),
  warmup: positive("warmup", values.warmup, 0),
  settleMs: positive("settle-ms", values["settle-ms"], 0),
  idleSampleMs: positive("idle-ms", values["idle-ms"], 1),
  commitFlushMs: positive("commit-flush-ms", values["commit-flush-ms"], 0),
  deadlineMinutes: positive("deadline-min", values["deadline-min"]),
  vacuumSeconds: positive("vacuum-seconds", values["vacuum-seconds"], 0),
  baseline: !values["no-baseline"],
  cpuProfDir: values["cpu-prof"],
  rssAt: values["rss-at"]
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean)
    .map((n) => positive("rss-at", n)),
  inFlight: positive("in-flight", values["in-flight"]),
  killEveryMs: positive("kill-every-ms", values["kill-every-ms"]),
  faultFreeSagas: positive("fault-free-sagas", values["fault-free-sagas"], 0),
  participantReplicas: positive("participant-replicas", values["participant-replicas"]),
  out: values.out,
  starts: positive("starts", values.starts),
  startFrom: values["start-from"],
  only: values.only.split(",").map((name) => name.trim()),
};
if (!["source", "bundle", "bundle-all"].includes(settings.startFrom)) {
  process.stderr.write(
    `bench: --start-from is source, bundle or bundle-all, got "${settings.startFrom}"\n`,
  );
  process.exit(2);
}
for (const mode of settings.modes) {
  if (mode !== "one" && mode !== "separate") {
    process.stderr.write(`bench: unknown mode "${mode}" (one, separate)\n`);
    process.exit(2);
  }
}

export const databaseUrl = process.env.DATABASE_URL || undefined;
export const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
export const repo = (path: string) =>
  fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
export const runId = randomUUID().slice(0, 6);
export const schemaPrefix = `bench_${runId}_`;
export const apiToken = "bench-token-0123456789";
/** Bearer token of the services' writes (seeding customers and accounts). */
export const serviceToken = "bench-service-token-0123456789";
export const serviceAuth = { authorization: `Bearer ${serviceToken}` };
export const deadline = Date.now() + settings.deadlineMinutes * 60_000;
export const CUSTOMERS = 100;
export const CREDIT_CENTS = 1_000_000_000;
export const customerIds = Array.from(
  { length: CUSTOMERS },
  (_, i) => `bench-cust-${String(i).padStart(3, "0")}`,
);
/** 2% unknown customers: every 50th order. */
export const isUnknown = (i: number) => i % 50 === 49;
export const customerOf = (i: number) =>
  isUnknown(i) ? `bench-unknown-${i}` : (customerIds[i % CUSTOMERS] as string);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

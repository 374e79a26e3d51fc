// The chaos benchmark: what a crash costs a saga. The whole system runs as separate processes
// (two orchestrators, order, account, customer, the emulator in its own process, real Postgres);
// a first phase without faults counts SQS requests per saga, then a second runs while a random
// orchestrator or participant is SIGKILLed and restarted every few seconds. It reports saga
// latency (p50/p95/max, from the first start attempt to the terminal event) and what the kills
// cost. A benchmark, not a test: nothing here asserts a time.
//
//   npm run bench -- chaos [--sagas 1000] [--in-flight 16] [--kill-every-ms 3000]
//                          [--fault-free-sagas 200] [--participant-replicas 1] [--warmup 300]
//                          [--out FILE.md]
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { explainSlowest, type Kill, readHops, type SagaRun } from "./chaos-timeline.ts";
import { stopAll } from "./children.ts";
import { closedLoop, type LoopResult, percentile, type StartResult } from "./load.ts";
import { dropRunSchemas } from "./run-schemas.ts";
import { databaseUrl, deadline, runId, schemaPrefix, settings, sleep } from "./settings.ts";
import { type Emulator, type SystemUnderTest, startEmulator, startEngine } from "./systems.ts";

/** The processes a kill picks from: the customer service takes no SQS traffic. */
const VICTIMS = [
  "orchestrator-1",
  "orchestrator-2",
  ...["order", "account"].flatMap((service) =>
    Array.from({ length: settings.participantReplicas }, (_, i) =>
      i === 0 ? service : `${service}-${i + 1}`,
    ),
  ),
];
/** A saga that has not ended by then counts as lost. */
const PER_SAGA_TIMEOUT_MS = 180_000;

interface Phase {
  name: string;
  loop: LoopResult;
  sqsPerSaga: number;
  /** The same per SQS API (`ReceiveMessage`, `ChangeMessageVisibility`…). */
  sqsPerSagaByApi: Record<string, number>;
  kills: number;
  /** From SIGKILL to the restarted process answering /ready, in ms, sorted. */
  restarts: number[];
  /** Where the slowest sagas' time went (phases with kills). */
  explanation: string[];
}

/** Starts order `i`, trying the other orchestrator while one is down; gives up after 120 s. */
async function startWithRetry(sut: SystemUnderTest, i: number): Promise<StartResult> {
  const until = Date.now() + 120_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await sut.start(i, i + attempt);
    } catch (error) {
      if (Date.now() > until) throw error;
      await sleep(100);
    }
  }
}

/** SQS requests of the system (not the bench's own clients) since the last reset, per saga. */
async function sqsPerSaga(
  emulator: Emulator,
  sagas: number,
): Promise<{ total: number; byApi: Record<string, number> }> {
  const counts = await emulator.counts();
  let total = 0;
  const byApi: Record<string, number> = {};
  const per = Math.max(1, sagas);
  for (const [key, count] of Object.entries(counts)) {
    const [caller, api] = key.split(" ");
    if (caller !== "benchclient" && api?.startsWith("SQS.")) {
      total += count;
      const name = api.slice("SQS.".length);
      byApi[name] = (byApi[name] ?? 0) + count / per;
    }
  }
  return { total: total / per, byApi };
}

/** Kills a random process every `everyMs` and restarts it, until stopped. */
function startKiller(sut: SystemUnderTest, everyMs: number) {
  const restarting = new Set<string>();
  const restarts: number[] = [];
  const log: Kill[] = [];
  const pending = new Set<Promise<void>>();
  let kills = 0;
  const timer = setInterval(() => {
    const candidates = VICTIMS.filter((name) => !restarting.has(name));
    const victim = candidates[Math.floor(Math.random() * candidates.length)];
    if (!victim || !sut.restart) return;
    kills++;
    restarting.add(victim);
    const killedAt = Date.now();
    const kill: Kill = { victim, at: killedAt, readyAt: undefined };
    log.push(kill);
    const restart = sut
      .restart(victim)
      .then(() => {
        kill.readyAt = Date.now();
        restarts.push(kill.readyAt - killedAt);
      })
      .catch((error: unknown) => {
        process.stderr.write(`bench chaos: restarting ${victim} failed: ${String(error)}\n`);
      })
      .finally(() => {
        restarting.delete(victim);
        pending.delete(restart);
      });
    pending.add(restart);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...pending]);
      return { kills, restarts: restarts.sort((a, b) => a - b), log };
    },
  };
}

async function phase(
  name: string,
  sut: SystemUnderTest,
  emulator: Emulator,
  sagas: number,
  killEveryMs: number | undefined,
): Promise<Phase> {
  await emulator.reset();
  const killer = killEveryMs ? startKiller(sut, killEveryMs) : undefined;
  // Each saga's first start attempt and the moment its terminal event arrived, for its hops.
  const startedAt = new Map<string, number>();
  const runs: SagaRun[] = [];
  const loop = await closedLoop({
    sagas,
    concurrency: settings.inFlight,
    start: async (i) => {
      const t0 = Date.now();
      const result = await startWithRetry(sut, i);
      if ("id" in result) startedAt.set(result.id, t0);
      return result;
    },
    expected: (i) => sut.expected(i),
    events: {
      wait: async (id, timeoutMs) => {
        const outcome = await sut.events.wait(id, timeoutMs);
        runs.push({ id, startedAt: startedAt.get(id) ?? Date.now(), endedAt: Date.now() });
        return outcome;
      },
    },
    perSagaTimeoutMs: PER_SAGA_TIMEOUT_MS,
    deadline,
  });
  const stopped = (await killer?.stop()) ?? { kills: 0, restarts: [], log: [] };
  let explanation: string[] = [];
  if (killEveryMs && databaseUrl) {
    try {
      const hops = await readHops(
        databaseUrl,
        {
          orchestrator: `${schemaPrefix}sep_orchestrator`,
          participants: [`${schemaPrefix}sep_orders`, `${schemaPrefix}sep_accounts`],
        },
        runs,
      );
      explanation = explainSlowest(runs, hops, stopped.log, {
        orchestrator: 2,
        order: settings.participantReplicas,
        account: settings.participantReplicas,
      });
    } catch (error) {
      explanation = ["", `(could not read the sagas' hops: ${String(error)})`];
    }
  }
  // Let the last deletes land before reading the counters.
  await sleep(settings.settleMs);
  const requests = await sqsPerSaga(emulator, loop.completed);
  const result: Phase = {
    name,
    loop,
    sqsPerSaga: requests.total,
    sqsPerSagaByApi: requests.byApi,
    kills: stopped.kills,
    restarts: stopped.restarts,
    explanation,
  };
  process.stderr.write(
    `bench chaos: ${name}: ${loop.completed} sagas, p50 ${ms(percentile(loop.latencies, 50))}, p95 ${ms(percentile(loop.latencies, 95))}, max ${ms(loop.latencies.at(-1) ?? Number.NaN)}, ${result.kills} kills\n`,
  );
  return result;
}

const ms = (value: number) => (Number.isNaN(value) ? "–" : `${(value / 1000).toFixed(2)} s`);

function report(phases: Phase[], load: { before: number[]; after: number[] }): string {
  const lines = [
    `# Chaos benchmark, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    "",
    `Command: \`npm run bench -- chaos --sagas ${settings.sagas} --in-flight ${settings.inFlight} --kill-every-ms ${settings.killEveryMs} --fault-free-sagas ${settings.faultFreeSagas}${settings.participantReplicas === 1 ? "" : ` --participant-replicas ${settings.participantReplicas}`}${settings.startFrom === "source" ? "" : ` --start-from ${settings.startFrom}`}\``,
    "",
    `Separate processes (2 orchestrators, ${settings.participantReplicas === 1 ? "order, account" : `${settings.participantReplicas} × order, ${settings.participantReplicas} × account`}, customer), the emulator in its own process, Postgres at DATABASE_URL; Node ${process.version}, ${cpus().length} CPUs. Load average (1, 5, 15 min) before: ${load.before.map((v) => v.toFixed(1)).join(", ")}; after: ${load.after.map((v) => v.toFixed(1)).join(", ")}.`,
    "Latency: from the first start attempt (the other orchestrator is tried while one is down) to the saga's terminal event. Kills: SIGKILL of a random orchestrator, order or account process, restarted at once; restart: from the kill to the new process answering /ready.",
    "",
    "| phase | sagas | outcomes | unexpected | p50 | p95 | p99 | max | SQS req/saga | kills | restart p50 | restart max |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const p of phases) {
    const l = p.loop.latencies;
    lines.push(
      `| ${p.name} | ${p.loop.completed} | ${Object.entries(p.loop.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ", ",
        )} | ${p.loop.unexpected} | ${ms(percentile(l, 50))} | ${ms(percentile(l, 95))} | ${ms(percentile(l, 99))} | ${ms(l.at(-1) ?? Number.NaN)} | ${p.sqsPerSaga.toFixed(2)} | ${p.kills} | ${ms(percentile(p.restarts, 50))} | ${ms(p.restarts.at(-1) ?? Number.NaN)} |`,
    );
  }
  lines.push(
    "",
    "SQS requests per saga by API:",
    "",
    ...phases.map(
      (p) =>
        `- ${p.name}: ${Object.entries(p.sqsPerSagaByApi)
          .sort((a, b) => b[1] - a[1])
          .map(([api, n]) => `${api} ${n.toFixed(2)}`)
          .join(", ")}`,
    ),
  );
  for (const p of phases) lines.push(...p.explanation);
  const problems = phases.flatMap((p) => p.loop.problems.map((text) => `- ${p.name}: ${text}`));
  if (problems.length > 0) lines.push("", "Problems:", ...problems);
  return `${lines.join("\n")}\n`;
}

if (!databaseUrl) {
  process.stderr.write("bench chaos: needs DATABASE_URL (separate processes share Postgres)\n");
  process.exit(2);
}
const loadBefore = loadavg();
const phases: Phase[] = [];
let failed = false;
const emulator = await startEmulator();
try {
  const sut = await startEngine(
    "separate",
    emulator,
    `bench-${runId}-chaos`,
    settings.participantReplicas,
  );
  try {
    if (settings.warmup > 0) await phase("warm-up", sut, emulator, settings.warmup, undefined);
    if (settings.faultFreeSagas > 0)
      phases.push(await phase("no faults", sut, emulator, settings.faultFreeSagas, undefined));
    phases.push(
      await phase(
        `kill every ${settings.killEveryMs / 1000} s`,
        sut,
        emulator,
        settings.sagas,
        settings.killEveryMs,
      ),
    );
  } finally {
    await sut.stop();
  }
} catch (error) {
  failed = true;
  process.stderr.write(`bench chaos: failed: ${error instanceof Error ? error.stack : error}\n`);
} finally {
  await emulator.child.stop();
  await stopAll();
  await dropRunSchemas().catch((error: unknown) =>
    process.stderr.write(`bench chaos: could not drop the schemas ${schemaPrefix}*: ${error}\n`),
  );
}
const text = report(phases, { before: loadBefore, after: loadavg() });
process.stdout.write(text);
if (settings.out) writeFileSync(settings.out, text);
process.exit(failed || phases.some((p) => p.loop.unexpected > 0) ? 1 : 0);

// `ops dlq`: list, inspect, replay and audit the environment's dead-letter queues.
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  GetQueueAttributesCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { type AwsClients, createAwsClients } from "@sagaworks/platform";
import { type CommandGroup, ExitCode, type OpsIo, UsageError } from "../command.ts";
import { OrchestratorClient } from "../sagas/orchestrator-client.ts";
import { type Classified, groupMessages, Verdict } from "./classify.ts";
import { loadOpsEnvironment, type Needs, type OpsEnvironment } from "./environment.ts";
import { formatAge, parseDuration, table } from "./format.ts";
import { ReplayJournal } from "./journal.ts";
import { peekMessages } from "./peek.ts";
import {
  type DeadLetterQueue,
  deadLetterQueues,
  environmentTopology,
  pickQueue,
  queueStats,
} from "./queues.ts";
import {
  defaultReplayOptions,
  inspectQueue,
  type PlanLine,
  type ReplayOptions,
  replay,
} from "./replay.ts";

const ENVIRONMENT = `Environment: SAGAWORKS_ENV_PREFIX (default dev), AWS_ENDPOINT_URL or SAGAWORKS_BROKER=aws,
AWS_REGION, ORCHESTRATOR_URL, ORCHESTRATOR_API_TOKEN, DATABASE_URL and OPS_DB_SCHEMA (replay journal, default ops; OPS_JOURNAL_DIR
for an embedded one on a dev machine),
SAGA_DEFINITIONS_DIR (default saga-definitions/), MAX_RECEIVE_COUNT (default 5), OPS_ACTOR.`;

const USAGE = {
  list: `Usage: ops dlq list [--json]

Every DLQ of the environment, found from the topology: depth, oldest message age, the source
queue and its redrive policy. Exit 1 when a DLQ holds messages or is missing.
`,
  inspect: `Usage: ops dlq inspect <queue> [--json] [--export file.jsonl] [--limit 1000]

Reads every message of a DLQ and puts each back untouched; groups them by verdict, type, saga
step and failure reason, each joined to its saga's state:
  waiting       the saga still waits for this step: a replay is useful
  stale         the saga moved on or finished: a replay would be ignored or harmful
  unknown-saga  the orchestrator has no such saga
  poison        not an envelope: it would fail again
  event         a lifecycle event: safe to redeliver
<queue> is the DLQ's name or its source queue's name.
`,
  replay: `Usage: ops dlq replay <queue> [--execute] [filters] [safety options] [--json]

Dry run by default: prints what would be sent where and what is skipped, and why.
  --execute              replay: send each copy to the source queue, then delete the original
  --include-stale        replay stale messages too (poison and unknown-saga ones never)
Filters:
  --verdict <v,...>      waiting, stale, event (the groups of inspect)
  --saga <id>            one saga's messages
  --command <name>       one message name, e.g. ReserveCredit
  --older-than <dur>     first sent at least this long ago (30s, 10m, 2h, 1d)
  --limit <n>            send at most n
Safety (each on by default):
  --rate <n>             at most n messages per second (default 5)
  --ramp-start <n>       first batch size, doubled while the sagas move on (default 1)
  --max-batch <n>        largest batch (default 10)
  --settle <dur>         how long a replayed message may take to move its saga (default 10s)
  --max-returned <n>     circuit breaker: stop after n replayed messages come back (default 3)
At most one replayed message per saga is in flight. A run is journaled in Postgres: run the same
command again after an interruption (even SIGKILL) and it resumes without sending twice.
  --bulk                 instead, a plain StartMessageMoveTask redrive of everything, where the
                         endpoint supports it (no saga check; use only when all are waiting)
Exit 1 when the breaker tripped.
`,
  history: `Usage: ops dlq history [<run-id>] [--queue <dlq>] [--limit 20] [--json]

Every replay: who, when, which DLQ, the outcome. With a run id: each message of the run and
what happened to it.
`,
};

const GROUP_USAGE = `Usage: ops dlq <list|inspect|replay|history> [options]

  list                 every DLQ of the environment with its depth and oldest message
  inspect <queue>      group the messages of a DLQ and join each to its saga's state
  replay <queue>       saga-aware replay; dry run unless --execute
  history [<run-id>]   the audit of replays

Each sub-command takes --help. ${ENVIRONMENT}
`;

interface Context {
  env: OpsEnvironment;
  clients: AwsClients;
  queues: DeadLetterQueue[];
  orchestrator: OrchestratorClient;
}

async function withContext<T>(
  io: OpsIo,
  needs: Needs,
  work: (ctx: Context) => Promise<T>,
): Promise<T> {
  const env = loadOpsEnvironment(io.env, { broker: true, ...needs });
  const clients = createAwsClients({ endpoint: env.endpoint, region: env.region });
  try {
    const topology = await environmentTopology(
      env.prefix,
      resolve(io.cwd, env.definitionsDir),
      env.maxReceiveCount,
    );
    const queues = await deadLetterQueues(clients.sqs, topology);
    const orchestrator = new OrchestratorClient({
      baseUrl: env.orchestratorUrl,
      token: env.orchestratorToken,
    });
    return await work({ env, clients, queues, orchestrator });
  } finally {
    clients.destroy();
  }
}

function openJournal(io: OpsIo, env: OpsEnvironment): Promise<ReplayJournal> {
  const dataDir = env.journalDir ? resolve(io.cwd, env.journalDir) : undefined;
  if (dataDir && !env.databaseUrl) mkdirSync(dataDir, { recursive: true });
  return ReplayJournal.open({
    databaseUrl: env.databaseUrl,
    dataDir,
    schema: env.journalSchema,
  });
}

function positiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${option} must be a whole number ≥ 1, got "${value}"`);
  return n;
}

function duration(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined)
    throw new UsageError(`${option} must be a duration such as 30s, 10m or 2h, got "${value}"`);
  return ms;
}

async function list(argv: readonly string[], io: OpsIo): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { json: { type: "boolean" } } });
  return withContext(io, {}, async ({ clients, queues }) => {
    const now = Date.now();
    const rows = await Promise.all(
      queues.map(async (queue) => {
        if (!queue.url) return { queue, missing: true as const };
        const [stats, source, sample] = await Promise.all([
          queueStats(clients.sqs, queue.url),
          queue.source.url ? queueStats(clients.sqs, queue.source.url) : undefined,
          peekMessages(clients.sqs, queue.url, { limit: 100, visibilityTimeoutSeconds: 30 }),
        ]);
        const oldest = sample.reduce<number | null>(
          (min, m) => (min === null || m.sentAt.getTime() < min ? m.sentAt.getTime() : min),
          null,
        );
        return {
          queue,
          missing: false as const,
          stats,
          redrive: source?.redrivePolicy ?? null,
          oldest,
        };
      }),
    );
    const json = rows.map((row) => ({
      name: row.queue.name,
      exists: !row.missing,
      owner: row.queue.owner,
      sourceQueue: row.queue.source.name,
      depth: row.missing ? null : row.stats.visible + row.stats.inFlight + row.stats.delayed,
      inFlight: row.missing ? null : row.stats.inFlight,
      oldestMessageAgeSeconds:
        row.missing || row.oldest === null ? null : Math.round((now - row.oldest) / 1000),
      redrivePolicy: row.missing ? null : row.redrive,
    }));
    if (values.json) io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    else {
      io.stdout(
        table(
          ["DLQ", "DEPTH", "OLDEST", "SOURCE", "REDRIVE"],
          json.map((q) => [
            q.name,
            q.exists ? String(q.depth) : "missing",
            q.oldestMessageAgeSeconds === null ? "-" : formatAge(q.oldestMessageAgeSeconds * 1000),
            q.sourceQueue,
            q.redrivePolicy ? `after ${q.redrivePolicy.maxReceiveCount} receives` : "none",
          ]),
        ),
      );
    }
    return json.some((q) => !q.exists || (q.depth ?? 0) > 0) ? ExitCode.failure : ExitCode.ok;
  });
}

function exportLine(item: Classified): string {
  return JSON.stringify({
    sqsMessageId: item.message.sqsMessageId,
    sentAt: item.message.sentAt.toISOString(),
    reason: item.message.reason,
    verdict: item.verdict,
    explanation: item.explanation,
    saga: item.saga,
    attributes: item.message.attributes,
    body: item.message.body,
  });
}

async function inspect(argv: readonly string[], io: OpsIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { json: { type: "boolean" }, export: { type: "string" }, limit: { type: "string" } },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UsageError("inspect takes one queue name");
  const limit = positiveInt(values.limit, "--limit", 1000);
  return withContext(io, { orchestrator: true }, async ({ clients, queues, orchestrator }) => {
    const queue = pickQueue(queues, name);
    const items = await inspectQueue(clients.sqs, queue.url ?? "", orchestrator, limit);
    const groups = groupMessages(items);
    if (values.export) {
      const file = resolve(io.cwd, values.export);
      writeFileSync(file, items.map((item) => `${exportLine(item)}\n`).join(""));
    }
    const counts = Object.fromEntries(
      Object.values(Verdict).map((verdict) => [
        verdict,
        items.filter((i) => i.verdict === verdict).length,
      ]),
    );
    if (values.json) {
      io.stdout(
        `${JSON.stringify(
          {
            queue: queue.name,
            sourceQueue: queue.source.name,
            count: items.length,
            verdicts: counts,
            groups: groups.map((g) => ({
              key: g.key,
              verdict: g.verdict,
              count: g.count,
              sample: JSON.parse(exportLine(g.sample)),
            })),
          },
          null,
          2,
        )}\n`,
      );
      return ExitCode.ok;
    }
    io.stdout(
      `${queue.name}: ${items.length} message(s), read and put back untouched (source: ${queue.source.name})\n\n`,
    );
    for (const group of groups) {
      const s = group.sample;
      io.stdout(`${String(group.count).padStart(4)}  ${group.key}\n`);
      io.stdout(
        `      sample ${s.message.sqsMessageId}${s.envelope ? ` saga ${s.envelope.sagaId}` : ""}: ${s.explanation}\n`,
      );
    }
    const summary = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([verdict, n]) => `${n} ${verdict}`)
      .join(", ");
    io.stdout(`\n${summary || "empty"}\n`);
    if (values.export) io.stdout(`exported ${items.length} message(s) to ${values.export}\n`);
    if (counts.waiting)
      io.stdout(`next: ops dlq replay ${queue.name}   (a dry run; add --execute to act)\n`);
    return ExitCode.ok;
  });
}

function printLine(io: OpsIo, l: PlanLine, destination: string): void {
  const what = l.name
    ? `${l.name}${l.step ? ` (${l.step})` : ""}${l.sagaId ? ` saga ${l.sagaId}` : ""}`
    : "not an envelope";
  const verb = {
    send: `send → ${destination}`,
    skip: "skip",
    "after-first": "later",
    returned: "returned",
  }[l.action];
  io.stdout(`${verb.padEnd(10)} ${l.sqsMessageId}  ${what}: ${l.why}\n`);
}

async function bulkMove(
  sqs: SQSClient,
  queue: DeadLetterQueue,
  io: OpsIo,
  execute: boolean,
): Promise<number> {
  const arn = async (url: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] })))
      .Attributes?.QueueArn ?? "";
  if (!execute) {
    io.stdout(
      `dry run: StartMessageMoveTask would move every message of ${queue.name} to ${queue.source.name}, without checking saga state. Add --execute.\n`,
    );
    return ExitCode.ok;
  }
  try {
    const task = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: await arn(queue.url ?? ""),
        DestinationArn: await arn(queue.source.url ?? ""),
      }),
    );
    io.stdout(
      `StartMessageMoveTask started (task ${task.TaskHandle}): ${queue.name} → ${queue.source.name}\n`,
    );
    return ExitCode.ok;
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    io.stderr(
      `This endpoint does not support StartMessageMoveTask (${e.name ?? "error"}: ${e.message ?? ""}); the embedded emulator does not. Use the saga-aware replay: ops dlq replay ${queue.name} --execute\n`,
    );
    return ExitCode.failure;
  }
}

async function replayCommand(argv: readonly string[], io: OpsIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      execute: { type: "boolean" },
      "include-stale": { type: "boolean" },
      verdict: { type: "string" },
      saga: { type: "string" },
      command: { type: "string" },
      "older-than": { type: "string" },
      limit: { type: "string" },
      rate: { type: "string" },
      "ramp-start": { type: "string" },
      "max-batch": { type: "string" },
      settle: { type: "string" },
      "max-returned": { type: "string" },
      bulk: { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UsageError("replay takes one queue name");
  const verdicts = values.verdict?.split(",").map((v) => v.trim());
  for (const v of verdicts ?? []) {
    if (!["waiting", "stale", "event"].includes(v))
      throw new UsageError(`--verdict takes waiting, stale or event, not "${v}"`);
  }
  const options: ReplayOptions = {
    ...defaultReplayOptions,
    execute: values.execute === true,
    includeStale: values["include-stale"] === true || (verdicts?.includes("stale") ?? false),
    filter: {
      verdicts: verdicts as Verdict[] | undefined,
      sagaId: values.saga,
      name: values.command,
      olderThanMs: duration(values["older-than"], "--older-than"),
    },
    limit: positiveInt(values.limit, "--limit", Number.POSITIVE_INFINITY),
    ratePerSecond: positiveInt(values.rate, "--rate", defaultReplayOptions.ratePerSecond),
    rampStart: positiveInt(values["ramp-start"], "--ramp-start", defaultReplayOptions.rampStart),
    maxBatch: positiveInt(values["max-batch"], "--max-batch", defaultReplayOptions.maxBatch),
    settleMs: duration(values.settle, "--settle") ?? defaultReplayOptions.settleMs,
    maxReturned: positiveInt(
      values["max-returned"],
      "--max-returned",
      defaultReplayOptions.maxReturned,
    ),
  };
  const needs = { orchestrator: !values.bulk, database: options.execute && !values.bulk };
  return withContext(io, needs, async ({ env, clients, queues, orchestrator }) => {
    const queue = pickQueue(queues, name);
    if (values.bulk) return bulkMove(clients.sqs, queue, io, options.execute);
    const journal = options.execute ? await openJournal(io, env) : undefined;
    let done = 0;
    try {
      if (options.execute) {
        const unfinished = await journal?.unfinishedRun(queue.name);
        if (unfinished && !values.json) {
          io.stdout(
            `resuming run ${unfinished.id}, started by ${unfinished.actor} at ${unfinished.startedAt.toISOString()}\n`,
          );
        }
      }
      const report = await replay(
        {
          sqs: clients.sqs,
          queue,
          orchestrator,
          journal,
          actor: env.actor,
          onLine: (l) => {
            done++;
            if (!values.json) printLine(io, l, queue.source.name);
            if (io.isTty) io.stderr(`\r${done} message(s) decided`);
          },
        },
        options,
      );
      if (io.isTty) io.stderr("\n");
      if (values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else io.stdout(`${report.runId ? `run ${report.runId}: ` : ""}${report.outcome}\n`);
      return report.tripped ? ExitCode.failure : ExitCode.ok;
    } finally {
      await journal?.close();
    }
  });
}

async function history(argv: readonly string[], io: OpsIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { json: { type: "boolean" }, queue: { type: "string" }, limit: { type: "string" } },
  });
  const env = loadOpsEnvironment(io.env, { database: true });
  const journal = await openJournal(io, env);
  try {
    const runId = positionals[0];
    if (runId) {
      const run = await journal.run(runId);
      if (!run) throw new Error(`No replay run ${runId}; ops dlq history lists them.`);
      const entries = [...(await journal.entries(run.id)).values()].sort(
        (a, b) => a.updatedAt.getTime() - b.updatedAt.getTime(),
      );
      if (values.json) {
        io.stdout(
          `${JSON.stringify({ run, entries: entries.map(({ body: _body, ...rest }) => rest) }, null, 2)}\n`,
        );
        return ExitCode.ok;
      }
      io.stdout(
        `run ${run.id} on ${run.dlq} → ${run.sourceQueue}\nby ${run.actor}, ${run.startedAt.toISOString()} to ${run.finishedAt?.toISOString() ?? "(unfinished)"}: ${run.status}\n${run.outcome ?? ""}\n\n`,
      );
      io.stdout(
        table(
          ["MESSAGE", "STATE", "NAME", "SAGA", "WHY"],
          entries.map((e) => [
            e.dlqMessageId,
            e.state,
            e.name ?? "-",
            e.sagaId ?? "-",
            e.explanation ?? "",
          ]),
        ),
      );
      return ExitCode.ok;
    }
    const runs = await journal.runs(positiveInt(values.limit, "--limit", 20), values.queue);
    if (values.json) {
      io.stdout(`${JSON.stringify(runs, null, 2)}\n`);
      return ExitCode.ok;
    }
    if (runs.length === 0) {
      io.stdout("no replays yet\n");
      return ExitCode.ok;
    }
    io.stdout(
      table(
        ["RUN", "STARTED", "BY", "DLQ", "STATUS", "OUTCOME"],
        runs.map((r) => [
          r.id,
          r.startedAt.toISOString(),
          r.actor,
          r.dlq,
          r.status,
          r.outcome ?? "",
        ]),
      ),
    );
    return ExitCode.ok;
  } finally {
    await journal.close();
  }
}

const SUB_COMMANDS = { list, inspect, replay: replayCommand, history } as const;

/** The `ops dlq` command group. */
export const dlqCommands: CommandGroup = {
  name: "dlq",
  summary: "list, inspect and replay dead-letter queues, joined to saga state",
  usage: GROUP_USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (!sub) throw new UsageError("name a sub-command");
    if (!(sub in SUB_COMMANDS)) throw new UsageError(`unknown sub-command "${sub}"`);
    const key = sub as keyof typeof SUB_COMMANDS;
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout(USAGE[key]);
      return ExitCode.ok;
    }
    return SUB_COMMANDS[key](rest, io);
  },
};

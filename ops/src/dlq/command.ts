// `ops dlq`: list, inspect, replay and audit the environment's dead-letter queues.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  type Classified,
  groupMessages,
  peekMessages,
  queueStats,
  Verdict,
} from "@sagaworks/dead-letters";
import { type CommandGroup, ExitCode, type OpsIo, UsageError } from "../command.ts";
import { positiveInt, withContext } from "./context.ts";
import { deleteCommand } from "./delete-command.ts";
import { formatAge, table } from "./format.ts";
import { history } from "./history-command.ts";
import { pickQueue } from "./queues.ts";
import { replayCommand } from "./replay-command.ts";
import { inspectQueue } from "./saga-lookup.ts";

const ENVIRONMENT = `Environment: SAGAWORKS_ENV_PREFIX (default dev), AWS_ENDPOINT_URL or SAGAWORKS_BROKER=aws,
AWS_REGION, ORCHESTRATOR_URL, ORCHESTRATOR_API_TOKEN, DATABASE_URL and OPS_DB_SCHEMA (replay journal, default ops; OPS_JOURNAL_DIR
for an embedded one on a dev machine),
SAGA_DEFINITIONS_DIR (default saga-definitions/), MAX_RECEIVE_COUNT (default 5),
SAGAWORKS_EVENT_SUBSCRIBERS (their queues have DLQs too), OPS_ACTOR.`;

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
  archived      the saga finished and was pruned after its retention period: delete it
  poison        not an envelope: it would fail again
  event         a lifecycle event: safe to redeliver
<queue> is the DLQ's name or its source queue's name.
`,
  replay: `Usage: ops dlq replay <queue> [--execute] [filters] [safety options] [--json]

Dry run by default: prints what would be sent where and what is skipped, and why.
  --execute              replay: send each copy to the source queue, then delete the original
  --include-stale        replay stale messages too (poison, unknown-saga and archived never)
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
  delete: `Usage: ops dlq delete <queue> [--execute] [filters] [--json]

Deletes the messages no replay will use, so that ops dlq list speaks again of what needs you.
Dry run by default: prints what would be deleted and what is kept, and why.
  --execute              delete: each message is written to the journal, body and all, first
Filters:
  --verdict <v,...>      stale, poison, unknown-saga, archived, event (default
                         stale,poison,archived); never
                         waiting: a saga still needs that message
  --saga <id>            one saga's messages
  --command <name>       one message name, e.g. ReserveCredit
  --older-than <dur>     first sent at least this long ago (30s, 10m, 2h, 1d)
  --limit <n>            delete at most n
Each message is judged again against its saga as it is deleted. A run holds the DLQ's lock (no
replay runs alongside) and is journaled like a replay: ops dlq history shows who deleted what,
and running the same command again after an interruption resumes it.
`,
  history: `Usage: ops dlq history [<run-id>] [--queue <dlq>] [--limit 20] [--json]

Every replay and deletion: who, when, which DLQ, the outcome. With a run id: each message of
the run and what happened to it.
`,
};

const GROUP_USAGE = `Usage: ops dlq <list|inspect|replay|delete|history> [options]

  list                 every DLQ of the environment with its depth and oldest message
  inspect <queue>      group the messages of a DLQ and join each to its saga's state
  replay <queue>       saga-aware replay; dry run unless --execute
  delete <queue>       delete stale and poison messages; dry run unless --execute
  history [<run-id>]   the audit of replays and deletions

Each sub-command takes --help. ${ENVIRONMENT}
`;

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
    const items = await inspectQueue(clients.sqs, queue.url ?? "", orchestrator, limit, new Date());
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
    if (counts.stale || counts.poison)
      io.stdout(`clean up: ops dlq delete ${queue.name}   (a dry run; add --execute to act)\n`);
    return ExitCode.ok;
  });
}

const SUB_COMMANDS = {
  list,
  inspect,
  replay: replayCommand,
  delete: deleteCommand,
  history,
} as const;

/** The `ops dlq` command group. */
export const dlqCommands: CommandGroup = {
  name: "dlq",
  summary: "list, inspect, replay and delete dead-letter queues' messages, joined to saga state",
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

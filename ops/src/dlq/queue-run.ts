// What `ops dlq replay` and `ops dlq delete` share: both act on one DLQ, take the same switch,
// filters and output options, and, when executed, record under the journal with an actor. Kept
// apart from the two commands so that neither imports the other.
import type { DeadLetterQueue, ReplayFilter } from "@sagaworks/dead-letters";
import { type OpsIo, UsageError } from "../command.ts";
import { type Context, duration, positiveInt, runRecording, withContext } from "./context.ts";
import type { ReplayJournal, RunMode } from "./journal.ts";
import { pickQueue } from "./queues.ts";

/** The `parseArgs` options both queue commands take; each adds its own. */
export const queueRunOptions = {
  execute: { type: "boolean" },
  saga: { type: "string" },
  command: { type: "string" },
  "older-than": { type: "string" },
  limit: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The shared options' values as `parseArgs` gives them. */
interface QueueRunValues {
  saga?: string | undefined;
  command?: string | undefined;
  "older-than"?: string | undefined;
  limit?: string | undefined;
}

/** The one queue name a queue command takes, or a usage error naming the sub-command. */
export function queueName(positionals: readonly string[], sub: string): string {
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UsageError(`${sub} takes one queue name`);
  return name;
}

/** `--saga`, `--command` and `--older-than` as a filter; `--limit` (default: no limit). */
export function queueRunSelection(values: QueueRunValues): {
  filter: Omit<ReplayFilter, "verdicts">;
  limit: number;
} {
  return {
    filter: {
      sagaId: values.saga,
      name: values.command,
      olderThanMs: duration(values["older-than"], "--older-than"),
    },
    limit: positiveInt(values.limit, "--limit", Number.POSITIVE_INFINITY),
  };
}

/** What a queue command's run works with: the context, its DLQ, and how it records. */
export interface QueueRun extends Context {
  queue: DeadLetterQueue;
  /** The opened journal of an executed run; undefined for a dry run. */
  journal: ReplayJournal | undefined;
  actor: string;
}

/**
 * Runs `work` on the DLQ named `name` with the journal and actor a run of `mode` records with
 * (none for a dry run), closing the journal and the clients after. Every run judges messages
 * against their sagas, so it needs the orchestrator; an executed one needs the journal database.
 */
export function withQueueRun<T>(
  io: OpsIo,
  name: string,
  run: { mode: RunMode; execute: boolean; quiet: boolean },
  work: (run: QueueRun) => Promise<T>,
): Promise<T> {
  const needs = { orchestrator: true, database: run.execute };
  return withContext(io, needs, async (ctx) => {
    const queue = pickQueue(ctx.queues, name);
    const { journal, actor } = await runRecording(io, ctx.env, { dlq: queue.name, ...run });
    try {
      return await work({ ...ctx, queue, journal, actor });
    } finally {
      await journal?.close();
    }
  });
}

/**
 * What a deletion or a replay works with in a queue run: the run's clients, DLQ, journal and
 * actor, and `onLine` for each message it decides.
 */
export function queueRunDeps<Line>(run: QueueRun, onLine: (line: Line) => void) {
  const { clients, queue, orchestrator, journal, actor } = run;
  return { sqs: clients.sqs, queue, orchestrator, journal, actor, onLine };
}

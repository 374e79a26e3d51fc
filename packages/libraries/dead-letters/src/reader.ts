// The orchestrator's read-only view of the deployment's DLQs, for the API and the inspector.
//
// Reading a DLQ takes nothing out of it: messages are received with a short visibility timeout
// (30 s) and made visible again (visibility 0) as soon as the read is done, so they are hidden
// for the length of one read (about two seconds), and at most 30 s if this process dies in the
// middle of it. Nothing is deleted, sent or changed. Two reads of the same queue in this process
// share one pass over it, since a second pass running alongside would see only what the first
// left visible; a replica elsewhere, or an `ops dlq replay` in flight, can still make one read
// miss messages that the other holds for a moment — the page says when it read, and re-reads on
// demand. Depths come from GetQueueAttributes, which hides nothing.
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Topology } from "@sagaworks/topology";
import { type Classified, classify, type PrunedSaga, sagaIdToLookUp } from "./classify.ts";
import type { DlqMessage } from "./message.ts";
import { peekMessages } from "./peek.ts";
import { type DeadLetterQueue, deadLetterQueues, queueStats } from "./queues.ts";
import { buildReport, type DeadLetterReport, type JoinedSaga } from "./report.ts";

/** How long a read hides the messages it has not released yet, in seconds. */
export const READ_VISIBILITY_SECONDS = 30;

/** A DLQ of the topology with its depth. */
export interface DeadLetterQueueSummary {
  name: string;
  sourceQueue: string;
  /** Who reads the source queue: a participant, `orchestrator`, or an event subscriber. */
  owner: string;
  role: string;
  maxReceiveCount: number | null;
  /** False when the queue is not on the broker (the topology was not applied). */
  exists: boolean;
  /** Approximate counts, as SQS reports them; null when the queue does not exist. */
  depth: { visible: number; inFlight: number; delayed: number; total: number } | null;
}

/** One DLQ read: its summary, when it was read, and the grouped, joined, planned messages. */
export interface DeadLetterQueueView extends DeadLetterReport {
  queue: DeadLetterQueueSummary;
  readAt: string;
  /** The most messages one read takes; `truncated` when the queue held at least that many. */
  limit: number;
  truncated: boolean;
  hiddenForSeconds: number;
}

/** What {@link DeadLetterReader} works with. */
export interface DeadLetterReaderDeps {
  sqs: SQSClient;
  /** The deployment's topology: every working queue's DLQ is listed. */
  topology: Topology;
  /** The sagas of these ids (absent: no such saga), from the saga store. */
  sagaStates: (ids: readonly string[]) => Promise<ReadonlyMap<string, JoinedSaga>>;
  /**
   * Of these ids (none a live saga), the sagas that finished and were pruned, from the archive
   * index; without it such a saga's messages read as an unknown saga.
   */
  prunedSagas?: (ids: readonly string[]) => Promise<ReadonlyMap<string, PrunedSaga>>;
  clock?: () => Date;
  /** Long-poll wait of each receive while reading; defaults to 1 s. */
  waitTimeSeconds?: number;
}

/** The outcome of a read of a queue name. */
export type ReadOutcome =
  | { kind: "read"; view: DeadLetterQueueView }
  | { kind: "unknown"; known: string[] }
  | { kind: "missing"; queue: string };

/** Lists the DLQs with their depth and reads one, grouped and joined to saga state. */
export class DeadLetterReader {
  private resolved: DeadLetterQueue[] | undefined;
  private readonly reads = new Map<string, Promise<DlqMessage[]>>();

  private readonly deps: DeadLetterReaderDeps;

  constructor(deps: DeadLetterReaderDeps) {
    this.deps = deps;
  }

  /** The DLQs resolved on the broker; resolved again until every one exists. */
  private async queues(): Promise<DeadLetterQueue[]> {
    if (this.resolved) return this.resolved;
    const queues = await deadLetterQueues(this.deps.sqs, this.deps.topology);
    if (queues.every((q) => q.url && q.source.url)) this.resolved = queues;
    return queues;
  }

  private async summary(queue: DeadLetterQueue): Promise<DeadLetterQueueSummary> {
    const stats = queue.url ? await queueStats(this.deps.sqs, queue.url) : undefined;
    return {
      name: queue.name,
      sourceQueue: queue.source.name,
      owner: queue.owner,
      role: queue.role,
      maxReceiveCount: queue.maxReceiveCount ?? null,
      exists: queue.url !== undefined,
      depth: stats
        ? {
            visible: stats.visible,
            inFlight: stats.inFlight,
            delayed: stats.delayed,
            total: stats.visible + stats.inFlight + stats.delayed,
          }
        : null,
    };
  }

  /** Every DLQ of the topology with its depth, in the topology's order. */
  async list(): Promise<DeadLetterQueueSummary[]> {
    const queues = await this.queues();
    return Promise.all(queues.map((queue) => this.summary(queue)));
  }

  /** Reads one DLQ (by its name or its source queue's name), leaving every message in it. */
  async read(
    name: string,
    options: { limit: number; includeStale: boolean },
  ): Promise<ReadOutcome> {
    const queues = await this.queues();
    const queue = queues.find((q) => q.name === name || q.source.name === name);
    if (!queue) return { kind: "unknown", known: queues.map((q) => q.name) };
    if (!queue.url) return { kind: "missing", queue: queue.name };
    const messages = await this.peekShared(queue.url, options.limit);
    const ids = messages.flatMap((m) => sagaIdToLookUp(m) ?? []);
    const sagas = await this.deps.sagaStates(ids);
    const gone = [...new Set(ids.filter((id) => !sagas.has(id)))];
    const pruned =
      gone.length > 0 && this.deps.prunedSagas ? await this.deps.prunedSagas(gone) : undefined;
    const now = (this.deps.clock ?? (() => new Date()))();
    const items: Classified[] = messages
      .map((message) => {
        const sagaId = sagaIdToLookUp(message);
        const saga =
          sagaId === undefined ? undefined : (sagas.get(sagaId) ?? pruned?.get(sagaId) ?? null);
        return classify(message, saga, now);
      })
      .sort((a, b) => a.message.sentAt.getTime() - b.message.sentAt.getTime());
    const report = buildReport({
      queue,
      items,
      sagas,
      includeStale: options.includeStale,
      now: now.getTime(),
    });
    return {
      kind: "read",
      view: {
        queue: await this.summary(queue),
        readAt: now.toISOString(),
        limit: options.limit,
        truncated: messages.length >= options.limit,
        hiddenForSeconds: READ_VISIBILITY_SECONDS,
        ...report,
      },
    };
  }

  /**
   * One pass over a queue at a time; a read that arrives meanwhile gets the same messages (read
   * with the first one's limit).
   */
  private peekShared(url: string, limit: number): Promise<DlqMessage[]> {
    const key = url;
    const running = this.reads.get(key);
    if (running) return running;
    const read = peekMessages(this.deps.sqs, url, {
      limit,
      visibilityTimeoutSeconds: READ_VISIBILITY_SECONDS,
      waitTimeSeconds: this.deps.waitTimeSeconds ?? 1,
    }).finally(() => this.reads.delete(key));
    this.reads.set(key, read);
    return read;
  }
}

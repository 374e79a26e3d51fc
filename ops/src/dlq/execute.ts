// `ops dlq replay --execute`: send-then-delete, one replayed message in flight per saga, a ramp
// and a rate cap, a breaker on messages that come back, and a journal that makes an interrupted
// run resumable. The decisions (which message is worth sending) are the dry run's, from the
// dead-letter rules, taken again for each message as it is received.
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type MessageAttributeValue,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import {
  type Classified,
  classify,
  type DlqMessage,
  envelopeFacts,
  planLine as line,
  type PlanLine,
  peekMessages,
  queueStats,
  receiveBatch,
  releaseMessages,
  replayable,
  selected,
  Verdict,
} from "@sagaworks/dead-letters";
import { DeadLetterAttribute } from "@sagaworks/messaging";
import { OpsErrorCode, OpsErrors } from "../errors.ts";
import type { OrchestratorClient } from "../sagas/orchestrator-client.ts";
import {
  type EntryInput,
  EntryState,
  type ReplayEntry,
  type ReplayJournal,
  type ReplayRun,
  RunMode,
} from "./journal.ts";
import { ReplayPacer } from "./pacer.ts";
import {
  REPLAY_ATTRIBUTE,
  type ReplayDeps,
  type ReplayOptions,
  type ReplayReport,
} from "./replay-options.ts";
import { lookUp } from "./saga-lookup.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Executes a replay under the DLQ's replay lock; the journal is required. */
export async function executeReplay(
  deps: ReplayDeps,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const { queue, journal } = deps;
  if (!journal)
    throw OpsErrors.create(
      OpsErrorCode.journalMissing,
      "--execute needs the journal database (DATABASE_URL)",
    );
  return journal.whileLocked(queue.name, async () => {
    const run = await ExecutedReplay.open(deps, options, journal);
    return run.execute();
  });
}

/** A saga whose replayed message was sent in this batch, with its state before the replay. */
interface SentSaga {
  sagaId: string;
  updatedAt: string;
}

/** One executed run: its journal record, its counters, and what it holds in the DLQ. */
class ExecutedReplay {
  private sent: number;
  private returned: number;
  private tripped = false;
  private readonly lines: PlanLine[] = [];
  /** Messages this run keeps hidden in the DLQ until it ends (skipped, or over the limit). */
  private readonly held = new Map<string, DlqMessage>();
  /** Messages waiting for an earlier replayed message of their saga, since when. */
  private readonly deferred = new Map<string, number>();
  /** Sagas with a replayed message not yet seen applied. */
  private readonly inFlight = new Map<string, { since: number; updatedAt: string }>();
  private readonly pacer: ReplayPacer;
  private readonly now: () => number;
  private readonly dlqUrl: string;
  private readonly sourceUrl: string;
  /** Deleted from the DLQ by this process: the breaker's count of what came back starts here. */
  private deletedHere = 0;

  private readonly deps: ReplayDeps;
  private readonly options: ReplayOptions;
  private readonly journal: ReplayJournal;
  private readonly run: ReplayRun;
  private readonly resumed: boolean;
  /** Every message of the run the journal knows, by DLQ message id. */
  private readonly entries: Map<string, ReplayEntry>;
  /** The DLQ's depth when this process began. */
  private readonly startDepth: number;

  private constructor(start: {
    deps: ReplayDeps;
    options: ReplayOptions;
    journal: ReplayJournal;
    run: ReplayRun;
    resumed: boolean;
    entries: Map<string, ReplayEntry>;
    startDepth: number;
  }) {
    ({
      deps: this.deps,
      options: this.options,
      journal: this.journal,
      run: this.run,
      resumed: this.resumed,
      entries: this.entries,
      startDepth: this.startDepth,
    } = start);
    this.now = this.deps.now ?? Date.now;
    this.dlqUrl = this.deps.queue.url ?? "";
    this.sourceUrl = this.deps.queue.source.url ?? "";
    this.pacer = new ReplayPacer(this.options, this.now);
    const count = (state: EntryState) =>
      [...this.entries.values()].filter((e) => e.state === state).length;
    this.sent = count(EntryState.deleted);
    this.returned = count(EntryState.returned);
  }

  /** Resumes the DLQ's unfinished replay, or starts a run, and reads where it is. */
  static async open(
    deps: ReplayDeps,
    options: ReplayOptions,
    journal: ReplayJournal,
  ): Promise<ExecutedReplay> {
    const { queue } = deps;
    const { run, resumed } = await journal.resumeOrStartRun(deps, RunMode.replay, { ...options });
    const entries = await journal.entries(run.id);
    const startDepth = await dlqDepth(deps, queue.url ?? "");
    return new ExecutedReplay({
      deps,
      options,
      journal,
      run,
      resumed,
      entries,
      startDepth,
    });
  }

  /** Runs to the end (queue drained, limit reached, or breaker tripped) and reports. */
  async execute(): Promise<ReplayReport> {
    try {
      await this.receiveUntilDone();
    } catch (error) {
      await releaseMessages(this.deps.sqs, this.dlqUrl, [...this.held.values()]).catch(() => {});
      throw error;
    }
    await releaseMessages(this.deps.sqs, this.dlqUrl, [...this.held.values()]);
    return this.finish();
  }

  private get done(): boolean {
    return this.tripped || this.sent >= this.options.limit;
  }

  private async receiveUntilDone(): Promise<void> {
    let emptyReceives = 0;
    while (!this.done) {
      const batch = await receiveBatch(
        this.deps.sqs,
        this.dlqUrl,
        Math.min(10, this.pacer.batchSize),
        this.options.holdSeconds,
        1,
      );
      const sentSagas: SentSaga[] = [];
      for (const message of batch) await this.take(message, sentSagas);
      emptyReceives = batch.length === 0 ? emptyReceives + 1 : 0;
      for (const [id, since] of this.deferred)
        if (this.now() - since > this.options.settleMs * 3) this.deferred.delete(id);
      if (emptyReceives >= 2 && this.deferred.size === 0) break;
      if (sentSagas.length > 0) await this.settle(sentSagas);
      else if (batch.length === 0 && this.deferred.size > 0) await sleep(200);
    }
  }

  /** Decides one received message: resume its journal entry, hold, count it back, or judge it. */
  private async take(message: DlqMessage, sentSagas: SentSaga[]): Promise<void> {
    if (this.done) return this.hold(message);
    const known = this.entries.get(message.sqsMessageId);
    if (known) return this.resumeEntry(message, known);
    if (this.held.has(message.sqsMessageId)) return this.hold(message);
    // A copy this run sent that failed again carries the run's mark (the consumer and the
    // redrive policy keep attributes). Another copy of the same envelope is not "returned":
    // it is judged like any other message, and is stale once its twin was applied.
    if (message.attributes[REPLAY_ATTRIBUTE]?.startsWith(`${this.run.id}/`)) {
      return this.countReturned(message);
    }
    const { facts: envelope } = envelopeFacts(message.body);
    const sagaId = envelope && envelope.kind !== "event" ? envelope.sagaId : undefined;
    const flight = sagaId ? this.inFlight.get(sagaId) : undefined;
    if (flight && this.now() - flight.since < this.options.settleMs) {
      return this.deferUntilSettled(message);
    }
    this.deferred.delete(message.sqsMessageId);
    const item = await lookUp(this.deps.orchestrator, message, new Date(this.now()));
    const skipWhy = this.skipReason(item, flight !== undefined);
    if (skipWhy) return this.skip(message, item, skipWhy);
    const wait = this.pacer.delayBeforeSend();
    if (wait > 0) await sleep(wait);
    this.pacer.sent();
    await this.send(message, this.entryOf(item, EntryState.sending));
    this.emit(line(item, "send", item.explanation));
    if (sagaId) {
      // Its state before the replay: the saga has moved on once this changes.
      const updatedAt = item.saga?.updatedAt ?? "";
      this.inFlight.set(sagaId, { since: this.now(), updatedAt });
      sentSagas.push({ sagaId, updatedAt });
    }
  }

  /** Why a judged message stays in the DLQ, or undefined when it is sent. */
  private skipReason(item: Classified, earlierCopyUnapplied: boolean): string | undefined {
    if (!selected(item, this.options.filter, this.now())) return "not selected by the filters";
    if (!replayable(item.verdict, this.options.includeStale)) {
      return `${item.verdict}: ${item.explanation}`;
    }
    if (earlierCopyUnapplied) {
      return "a replayed message of this saga was not applied in time; left for the next run";
    }
    return undefined;
  }

  /** A message the journal knows from before a crash: finish what its entry says was begun. */
  private async resumeEntry(message: DlqMessage, known: ReplayEntry): Promise<void> {
    if (known.state === EntryState.sent || known.state === EntryState.deleted) {
      await this.deleteFromDlq(message, known);
      if (known.state === EntryState.sent) this.sent++;
    } else if (known.state === EntryState.sending) {
      const why = await this.resolveSending(message, known);
      this.emit({
        sqsMessageId: message.sqsMessageId,
        action: "send",
        verdict: null,
        name: known.name,
        sagaId: known.sagaId,
        step: null,
        why: `resumed: ${why}`,
      });
    } else await this.hold(message);
  }

  private async countReturned(message: DlqMessage): Promise<void> {
    this.returned++;
    const item = classify(message, undefined, new Date(this.now()));
    await this.record(item, EntryState.returned, "came back to the DLQ after its replay");
    this.emit(
      line(
        item,
        "returned",
        `came back to the DLQ after its replay (${message.reason ?? "no reason recorded"})`,
      ),
    );
    await this.hold(message);
    if (this.returned >= this.options.maxReturned) this.tripped = true;
  }

  /** One replayed message per saga in flight: this one waits for the first to be applied. */
  private async deferUntilSettled(message: DlqMessage): Promise<void> {
    this.deferred.set(message.sqsMessageId, this.now());
    await this.deps.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.dlqUrl,
        ReceiptHandle: message.receiptHandle,
        VisibilityTimeout: Math.ceil(this.options.settleMs / 1000),
      }),
    );
  }

  private async skip(message: DlqMessage, item: Classified, why: string): Promise<void> {
    await this.record(item, EntryState.skipped, why);
    this.emit(line(item, "skip", why));
    await this.hold(message);
  }

  /** The ramp: the batch doubles only when every saga of this one moved on in time. */
  private async settle(sentSagas: readonly SentSaga[]): Promise<void> {
    const { maxReturned, settleMs } = this.options;
    const settled = await waitForSagas(
      this.deps.orchestrator,
      sentSagas,
      settleMs,
      async () => (await this.cameBack()) >= maxReturned,
    );
    const back = await this.cameBack();
    if (back >= maxReturned) {
      this.returned = back;
      this.tripped = true;
    }
    for (const sagaId of settled) this.inFlight.delete(sagaId);
    this.pacer.settled(settled.length, sentSagas.length);
  }

  /**
   * The breaker's second eye: messages not received yet may already be back. The DLQ's depth
   * beyond what this run left in it counts them (and any other new failure of the same
   * consumer, which is as good a reason to stop).
   */
  private async cameBack(): Promise<number> {
    const depth = await dlqDepth(this.deps, this.dlqUrl);
    return Math.max(this.returned, depth - (this.startDepth - this.deletedHere));
  }

  private async finish(): Promise<ReplayReport> {
    const { queue } = this.deps;
    const { sent, returned, tripped } = this;
    const skipped = [...this.entries.values()].filter((e) => e.state === EntryState.skipped).length;
    const outcome = tripped
      ? `circuit breaker tripped: ${returned} replayed message(s) came back to ${queue.name}; stopped after ${sent} sent. The rest stays in the DLQ: fix ${queue.owner} and run again.`
      : `replayed ${sent} message(s) to ${queue.source.name}; ${skipped} left in ${queue.name}${returned > 0 ? `; ${returned} came back` : ""}`;
    await this.journal.finishRun(this.run.id, tripped ? "tripped" : "finished", outcome);
    return {
      dryRun: false,
      runId: this.run.id,
      resumed: this.resumed,
      destination: queue.source.name,
      lines: this.lines,
      sent,
      skipped,
      returned,
      tripped,
      outcome,
    };
  }

  private emit(planLine: PlanLine): void {
    this.lines.push(planLine);
    this.deps.onLine?.(planLine);
  }

  /** Keeps a message hidden until the run ends, so the next receive brings ones not yet seen. */
  private async hold(message: DlqMessage): Promise<void> {
    this.held.set(message.sqsMessageId, message);
    await this.deps.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.dlqUrl,
        ReceiptHandle: message.receiptHandle,
        VisibilityTimeout: this.options.holdSeconds,
      }),
    );
  }

  private entryOf(item: Classified, state: EntryState): EntryInput {
    return {
      dlqMessageId: item.message.sqsMessageId,
      envelopeMessageId: item.envelope?.messageId ?? null,
      sagaId: item.envelope?.sagaId ?? null,
      name: item.envelope?.name ?? null,
      state,
      verdict: item.verdict,
      explanation: item.explanation,
      body: item.message.body,
      attributes: item.message.attributes,
    };
  }

  /** Journals a message's state with the reason, and keeps the entry for this run. */
  private async record(item: Classified, state: EntryState, explanation: string): Promise<void> {
    const entry = { ...this.entryOf(item, state), explanation };
    await this.journal.record(this.run.id, entry);
    this.entries.set(item.message.sqsMessageId, {
      ...entry,
      runId: this.run.id,
      updatedAt: new Date(),
    });
  }

  private async deleteFromDlq(message: DlqMessage, entry: EntryInput): Promise<void> {
    await this.deps.sqs.send(
      new DeleteMessageCommand({ QueueUrl: this.dlqUrl, ReceiptHandle: message.receiptHandle }),
    );
    this.deletedHere++;
    await this.journal.record(this.run.id, { ...entry, state: EntryState.deleted });
    this.entries.set(message.sqsMessageId, {
      ...entry,
      state: EntryState.deleted,
      runId: this.run.id,
      updatedAt: new Date(),
    });
  }

  private async send(message: DlqMessage, entry: EntryInput): Promise<void> {
    // Journal first: after a crash, `sending` says a copy may exist and must be looked for.
    await this.journal.record(this.run.id, { ...entry, state: EntryState.sending });
    const attributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(message.attributes)) {
      if (
        !Object.values(DeadLetterAttribute).includes(name as never) &&
        name !== REPLAY_ATTRIBUTE
      ) {
        attributes[name] = { DataType: "String", StringValue: value };
      }
    }
    attributes[REPLAY_ATTRIBUTE] = {
      DataType: "String",
      StringValue: `${this.run.id}/${message.sqsMessageId}`,
    };
    await this.deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.sourceUrl,
        MessageBody: message.body,
        MessageAttributes: attributes,
      }),
    );
    await this.journal.record(this.run.id, { ...entry, state: EntryState.sent });
    // Only now, with the copy accepted by the source queue, does the original leave the DLQ.
    await this.deleteFromDlq(message, entry);
    this.sent++;
  }

  /** After a crash between `sending` and `sent`: was the copy sent? Looks for it, then decides. */
  private async resolveSending(message: DlqMessage, entry: ReplayEntry): Promise<string> {
    const marker = `${this.run.id}/${message.sqsMessageId}`;
    const waiting = await peekMessages(this.deps.sqs, this.sourceUrl, {
      limit: 1000,
      visibilityTimeoutSeconds: 30,
    });
    if (waiting.some((m) => m.attributes[REPLAY_ATTRIBUTE] === marker)) {
      await this.journal.record(this.run.id, { ...entry, state: EntryState.sent });
      await this.deleteFromDlq(message, entry);
      this.sent++;
      return "found its copy in the source queue";
    }
    const item = await lookUp(this.deps.orchestrator, message, new Date(this.now()));
    if (item.verdict !== Verdict.waiting && item.verdict !== Verdict.event) {
      // Its copy was taken and applied (the saga moved on): the journal keeps the body.
      await this.journal.record(this.run.id, { ...entry, state: EntryState.sent });
      await this.deleteFromDlq(message, entry);
      this.sent++;
      return "its copy was applied before the crash";
    }
    // Never sent, or taken by a consumer that has not finished: sending again is safe, since
    // receivers deduplicate by envelope message id.
    await this.send(message, entry);
    return "sent again: the crash came before the send was confirmed";
  }
}

async function dlqDepth(deps: ReplayDeps, dlqUrl: string): Promise<number> {
  const stats = await queueStats(deps.sqs, dlqUrl);
  return stats.visible + stats.inFlight + stats.delayed;
}

/**
 * Waits until each saga's updatedAt changed, the deadline passed, or `giveUp` says so; returns
 * the sagas that moved.
 */
async function waitForSagas(
  orchestrator: OrchestratorClient,
  sagas: readonly SentSaga[],
  timeoutMs: number,
  giveUp: () => Promise<boolean>,
): Promise<string[]> {
  const moved = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (moved.size < sagas.length && Date.now() < deadline) {
    if (await giveUp()) break;
    for (const { sagaId, updatedAt } of sagas) {
      if (moved.has(sagaId)) continue;
      const saga = await orchestrator.getSaga(sagaId);
      if (!saga || saga.updatedAt !== updatedAt) moved.add(sagaId);
    }
    if (moved.size < sagas.length) await sleep(250);
  }
  return [...moved];
}

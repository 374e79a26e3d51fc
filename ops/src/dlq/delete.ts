// Deleting the messages of a DLQ that no replay will ever use (stale, poison, unknown-saga), so
// that `ops dlq list` speaks again of what needs an operator. Dry run by default. Executed, it
// works under the DLQ's lock (no replay runs alongside) and journals each message, body included,
// before deleting it: the audit keeps what was thrown away, and a run killed at any point resumes.
import { DeleteMessageCommand } from "@aws-sdk/client-sqs";
import {
  type Classified,
  classifiedFields,
  type DlqMessage,
  type ReplayFilter,
  receiveBatch,
  releaseMessages,
  selected,
  Verdict,
} from "@sagaworks/dead-letters";
import { OpsErrorCode, OpsErrors } from "../errors.ts";
import {
  type EntryInput,
  EntryState,
  type ReplayEntry,
  type ReplayJournal,
  RunMode,
} from "./journal.ts";
import type { DlqRunDeps } from "./replay-options.ts";
import { inspectForDryRun, lookUp } from "./saga-lookup.ts";

/** The verdicts a deletion may take; a waiting message is never deleted (replay it instead). */
export const DELETABLE_VERDICTS: readonly Verdict[] = [
  Verdict.stale,
  Verdict.poison,
  Verdict.unknownSaga,
  Verdict.archived,
  Verdict.event,
];

/** Options of {@link deleteMessages}. */
export interface DeleteOptions {
  execute: boolean;
  /** Which verdicts go; default stale, poison and archived. */
  verdicts: readonly Verdict[];
  /** Narrows further: one saga, one message name, an age. */
  filter: Omit<ReplayFilter, "verdicts">;
  /** Delete at most this many; default unlimited. */
  limit: number;
  /** How long messages the run keeps stay hidden while it runs; default 300 s. */
  holdSeconds: number;
}

/** Default options. */
export const defaultDeleteOptions: DeleteOptions = {
  execute: false,
  verdicts: [Verdict.stale, Verdict.poison, Verdict.archived],
  filter: {},
  limit: Number.POSITIVE_INFINITY,
  holdSeconds: 300,
};

/** What the run did, or in a dry run would do, with one message. */
export interface DeleteLine {
  sqsMessageId: string;
  action: "delete" | "keep";
  verdict: Verdict;
  name: string | null;
  sagaId: string | null;
  why: string;
}

/** What {@link deleteMessages} works with. */
export type DeleteDeps = DlqRunDeps<DeleteLine>;

/** The outcome of a deletion run. */
export interface DeleteReport {
  dryRun: boolean;
  runId: string | null;
  resumed: boolean;
  lines: DeleteLine[];
  deleted: number;
  kept: number;
  outcome: string;
}

/** Whether one message goes, and why (pure: the verdict is taken at `now`). */
export function deleteDecision(
  item: Classified,
  options: Pick<DeleteOptions, "verdicts" | "filter">,
  now: number,
): { action: DeleteLine["action"]; why: string } {
  if (item.verdict === Verdict.waiting) {
    return { action: "keep", why: `waiting: ${item.explanation}; replay it instead` };
  }
  if (!options.verdicts.includes(item.verdict)) {
    return { action: "keep", why: `${item.verdict} is not among --verdict` };
  }
  if (!selected(item, options.filter, now)) {
    return { action: "keep", why: "not selected by the filters" };
  }
  return { action: "delete", why: `${item.verdict}: ${item.explanation}` };
}

function lineOf(item: Classified, action: DeleteLine["action"], why: string): DeleteLine {
  return { sqsMessageId: item.message.sqsMessageId, action, ...classifiedFields(item), why };
}

/** Deletes (or plans the deletion of) the selected messages of one DLQ. */
export async function deleteMessages(
  deps: DeleteDeps,
  options: DeleteOptions,
): Promise<DeleteReport> {
  if (!options.execute) return dryRun(deps, options);
  const { queue, journal } = deps;
  if (!journal)
    throw OpsErrors.create(
      OpsErrorCode.journalMissing,
      "--execute needs the journal database (DATABASE_URL)",
    );
  return journal.whileLocked(queue.name, () => executeLocked(deps, options, journal));
}

async function dryRun(deps: DeleteDeps, options: DeleteOptions): Promise<DeleteReport> {
  const now = (deps.now ?? Date.now)();
  const items = await inspectForDryRun(deps, now);
  const lines: DeleteLine[] = [];
  let deleted = 0;
  for (const item of items) {
    let { action, why } = deleteDecision(item, options, now);
    if (action === "delete" && deleted >= options.limit) [action, why] = ["keep", "over --limit"];
    if (action === "delete") deleted++;
    const line = lineOf(item, action, why);
    lines.push(line);
    deps.onLine?.(line);
  }
  return {
    dryRun: true,
    runId: null,
    resumed: false,
    lines,
    deleted,
    kept: lines.length - deleted,
    outcome: `dry run: ${deleted} would be deleted from ${deps.queue.name}, ${lines.length - deleted} kept; add --execute to delete`,
  };
}

/** One executed run: each received message is judged again, journaled, then deleted or held. */
async function executeLocked(
  deps: DeleteDeps,
  options: DeleteOptions,
  journal: ReplayJournal,
): Promise<DeleteReport> {
  const { queue } = deps;
  const { run, resumed } = await journal.resumeOrStartRun(deps, RunMode.delete, { ...options });
  const state = new DeletionRun(deps, options, journal, run.id, await journal.entries(run.id));
  const dlqUrl = queue.url ?? "";
  try {
    let emptyReceives = 0;
    while (state.deleted < options.limit && emptyReceives < 2) {
      const batch = await receiveBatch(deps.sqs, dlqUrl, 10, options.holdSeconds, 1);
      emptyReceives = batch.length === 0 ? emptyReceives + 1 : 0;
      for (const message of batch) await state.take(message);
    }
  } catch (error) {
    await releaseMessages(deps.sqs, dlqUrl, state.held).catch(() => {});
    throw error;
  }
  await releaseMessages(deps.sqs, dlqUrl, state.held);
  const kept = [...state.entries.values()].filter((e) => e.state === EntryState.skipped).length;
  const outcome = `deleted ${state.deleted} message(s) from ${queue.name}, each with its body in the journal (ops dlq history ${run.id}); ${kept} kept`;
  await journal.finishRun(run.id, "finished", outcome);
  return {
    dryRun: false,
    runId: run.id,
    resumed,
    lines: state.lines,
    deleted: state.deleted,
    kept,
    outcome,
  };
}

/** What an executed deletion has done so far, and how it takes one message. */
class DeletionRun {
  deleted: number;
  readonly lines: DeleteLine[] = [];
  /** Messages kept hidden until the run ends, so the next receive brings ones not yet seen. */
  readonly held: DlqMessage[] = [];
  private readonly heldIds = new Set<string>();
  private readonly deps: DeleteDeps;
  private readonly options: DeleteOptions;
  private readonly journal: ReplayJournal;
  private readonly runId: string;
  /** Every message of the run the journal knows, by DLQ message id. */
  readonly entries: Map<string, ReplayEntry>;

  constructor(
    deps: DeleteDeps,
    options: DeleteOptions,
    journal: ReplayJournal,
    runId: string,
    entries: Map<string, ReplayEntry>,
  ) {
    this.deps = deps;
    this.options = options;
    this.journal = journal;
    this.runId = runId;
    this.entries = entries;
    this.deleted = [...entries.values()].filter((e) => e.state === EntryState.deleted).length;
  }

  async take(message: DlqMessage): Promise<void> {
    const known = this.entries.get(message.sqsMessageId);
    if (this.heldIds.has(message.sqsMessageId) || known?.state === EntryState.skipped) {
      return this.hold(message);
    }
    if (known) {
      // Decided before a crash: its entry (and body) is written, the delete may not be.
      const wasCounted = known.state === EntryState.deleted;
      await this.remove(message, known);
      if (!wasCounted) this.deleted++;
      return;
    }
    if (this.deleted >= this.options.limit) return this.hold(message);
    await this.judge(message);
  }

  private async judge(message: DlqMessage): Promise<void> {
    const now = this.deps.now ?? Date.now;
    const item = await lookUp(this.deps.orchestrator, message, new Date(now()));
    const { action, why } = deleteDecision(item, this.options, now());
    const entry: EntryInput = {
      dlqMessageId: message.sqsMessageId,
      envelopeMessageId: item.envelope?.messageId ?? null,
      sagaId: item.envelope?.sagaId ?? null,
      name: item.envelope?.name ?? null,
      state: EntryState.skipped,
      verdict: item.verdict,
      explanation: why,
      body: message.body,
      attributes: message.attributes,
    };
    if (action === "delete") {
      await this.remove(message, entry);
      this.deleted++;
    } else {
      await this.journal.record(this.runId, entry);
      this.entries.set(message.sqsMessageId, {
        ...entry,
        runId: this.runId,
        updatedAt: new Date(),
      });
      this.hold(message);
    }
    const line = lineOf(item, action, why);
    this.lines.push(line);
    this.deps.onLine?.(line);
  }

  private hold(message: DlqMessage): void {
    if (this.heldIds.has(message.sqsMessageId)) return;
    this.heldIds.add(message.sqsMessageId);
    this.held.push(message);
  }

  private async remove(message: DlqMessage, entry: EntryInput): Promise<void> {
    // Journal first, with the body: what is deleted stays readable in the audit.
    await this.journal.record(this.runId, { ...entry, state: EntryState.deleting });
    await this.deps.sqs.send(
      new DeleteMessageCommand({
        QueueUrl: this.deps.queue.url ?? "",
        ReceiptHandle: message.receiptHandle,
      }),
    );
    await this.journal.record(this.runId, { ...entry, state: EntryState.deleted });
    this.entries.set(message.sqsMessageId, {
      ...entry,
      state: EntryState.deleted,
      runId: this.runId,
      updatedAt: new Date(),
    });
  }
}

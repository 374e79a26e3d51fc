// `ops dlq replay --execute`: send-then-delete, one replayed message in flight per saga, a ramp
// and a rate cap, a breaker on messages that come back, and a journal that makes an interrupted
// run resumable. The decisions (which message is worth sending) are the dry run's, from the
// orchestrator's dead-letter rules, taken again for each message as it is received.
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
import type { OrchestratorClient } from "../sagas/orchestrator-client.ts";
import { EntryState, type ReplayEntry, type ReplayJournal, RunMode } from "./journal.ts";
import { ReplayPacer } from "./pacer.ts";
import type { ReplayDeps, ReplayOptions, ReplayReport } from "./replay.ts";
import { lookUp } from "./saga-lookup.ts";

/** Attribute a replayed copy carries: `<run id>/<DLQ message id>`, to find it after a crash. */
export const REPLAY_ATTRIBUTE = "replayOf";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Executes a replay under the DLQ's replay lock; the journal is required. */
export async function executeReplay(
  deps: ReplayDeps,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const { queue, journal } = deps;
  if (!journal) throw new Error("--execute needs the journal database (DATABASE_URL)");
  const unlock = await journal.lockDlq(queue.name);
  if (!unlock) {
    throw new Error(
      `Another replay of ${queue.name} is running (it holds the replay lock); wait for it, or see ops dlq history.`,
    );
  }
  try {
    return await executeLocked(deps, options, journal);
  } finally {
    await unlock();
  }
}

async function executeLocked(
  deps: ReplayDeps,
  options: ReplayOptions,
  journal: ReplayJournal,
): Promise<ReplayReport> {
  const { sqs, queue, orchestrator } = deps;
  const dlqUrl = queue.url ?? "";
  const sourceUrl = queue.source.url ?? "";
  const now = deps.now ?? Date.now;
  const unfinished = await journal.unfinishedRun(queue.name, RunMode.replay);
  const run =
    unfinished ??
    (await journal.startRun({
      dlq: queue.name,
      sourceQueue: queue.source.name,
      actor: deps.actor,
      mode: RunMode.replay,
      options: { ...options, limit: Number.isFinite(options.limit) ? options.limit : null },
    }));
  const entries = await journal.entries(run.id);
  let sent = [...entries.values()].filter((e) => e.state === EntryState.deleted).length;
  let returned = [...entries.values()].filter((e) => e.state === EntryState.returned).length;
  const lines: PlanLine[] = [];
  const held = new Map<string, DlqMessage>();
  const deferred = new Map<string, number>();
  const inFlight = new Map<string, { since: number; updatedAt: string }>();
  const pacer = new ReplayPacer(options, now);
  let emptyReceives = 0;
  let tripped = false;
  // The breaker's second eye: messages it has not received yet may already be back. The DLQ's
  // depth beyond what this run left in it counts them (and any other new failure of the same
  // consumer, which is as good a reason to stop).
  let deletedHere = 0;
  const dlqDepth = async () => {
    const stats = await queueStats(sqs, dlqUrl);
    return stats.visible + stats.inFlight + stats.delayed;
  };
  const startDepth = await dlqDepth();
  const cameBack = async () => Math.max(returned, (await dlqDepth()) - (startDepth - deletedHere));

  const emit = (planLine: PlanLine) => {
    lines.push(planLine);
    deps.onLine?.(planLine);
  };
  const hold = async (message: DlqMessage) => {
    held.set(message.sqsMessageId, message);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: dlqUrl,
        ReceiptHandle: message.receiptHandle,
        VisibilityTimeout: options.holdSeconds,
      }),
    );
  };
  const entryOf = (
    item: Classified,
    state: EntryState,
  ): Omit<ReplayEntry, "runId" | "updatedAt"> => ({
    dlqMessageId: item.message.sqsMessageId,
    envelopeMessageId: item.envelope?.messageId ?? null,
    sagaId: item.envelope?.sagaId ?? null,
    name: item.envelope?.name ?? null,
    state,
    verdict: item.verdict,
    explanation: item.explanation,
    body: item.message.body,
    attributes: item.message.attributes,
  });
  const deleteFromDlq = async (
    message: DlqMessage,
    entry: Omit<ReplayEntry, "runId" | "updatedAt">,
  ) => {
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.receiptHandle }),
    );
    deletedHere++;
    await journal.record(run.id, { ...entry, state: EntryState.deleted });
    entries.set(message.sqsMessageId, {
      ...entry,
      state: EntryState.deleted,
      runId: run.id,
      updatedAt: new Date(),
    });
  };
  const send = async (message: DlqMessage, entry: Omit<ReplayEntry, "runId" | "updatedAt">) => {
    // Journal first: after a crash, `sending` says a copy may exist and must be looked for.
    await journal.record(run.id, { ...entry, state: EntryState.sending });
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
      StringValue: `${run.id}/${message.sqsMessageId}`,
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: sourceUrl,
        MessageBody: message.body,
        MessageAttributes: attributes,
      }),
    );
    await journal.record(run.id, { ...entry, state: EntryState.sent });
    // Only now, with the copy accepted by the source queue, does the original leave the DLQ.
    await deleteFromDlq(message, entry);
    sent++;
  };
  /** After a crash between `sending` and `sent`: was the copy sent? Looks for it, then decides. */
  const resolveSending = async (message: DlqMessage, entry: ReplayEntry) => {
    const marker = `${run.id}/${message.sqsMessageId}`;
    const waiting = await peekMessages(sqs, sourceUrl, {
      limit: 1000,
      visibilityTimeoutSeconds: 30,
    });
    if (waiting.some((m) => m.attributes[REPLAY_ATTRIBUTE] === marker)) {
      await journal.record(run.id, { ...entry, state: EntryState.sent });
      await deleteFromDlq(message, entry);
      sent++;
      return "found its copy in the source queue";
    }
    const item = await lookUp(orchestrator, message, new Date(now()));
    if (item.verdict !== Verdict.waiting && item.verdict !== Verdict.event) {
      // Its copy was taken and applied (the saga moved on): the journal keeps the body.
      await journal.record(run.id, { ...entry, state: EntryState.sent });
      await deleteFromDlq(message, entry);
      sent++;
      return "its copy was applied before the crash";
    }
    // Never sent, or taken by a consumer that has not finished: sending again is safe, since
    // receivers deduplicate by envelope message id.
    await send(message, entry);
    return "sent again: the crash came before the send was confirmed";
  };

  try {
    while (!tripped && sent < options.limit) {
      const batch = await receiveBatch(
        sqs,
        dlqUrl,
        Math.min(10, pacer.batchSize),
        options.holdSeconds,
        1,
      );
      const sentSagas: { sagaId: string; updatedAt: string }[] = [];
      for (const message of batch) {
        if (tripped || sent >= options.limit) {
          await hold(message);
          continue;
        }
        const known = entries.get(message.sqsMessageId);
        if (known) {
          if (known.state === EntryState.sent || known.state === EntryState.deleted) {
            await deleteFromDlq(message, known);
            if (known.state === EntryState.sent) sent++;
          } else if (known.state === EntryState.sending) {
            const why = await resolveSending(message, known);
            emit({
              sqsMessageId: message.sqsMessageId,
              action: "send",
              verdict: null,
              name: known.name,
              sagaId: known.sagaId,
              step: null,
              why: `resumed: ${why}`,
            });
          } else await hold(message);
          continue;
        }
        if (held.has(message.sqsMessageId)) {
          await hold(message);
          continue;
        }
        const { facts: envelope } = envelopeFacts(message.body);
        // A copy this run sent that failed again carries the run's mark (the consumer and the
        // redrive policy keep attributes). Another copy of the same envelope is not "returned":
        // it is judged like any other message, and is stale once its twin was applied.
        if (message.attributes[REPLAY_ATTRIBUTE]?.startsWith(`${run.id}/`)) {
          returned++;
          const item = classify(message, undefined, new Date(now()));
          await journal.record(run.id, {
            ...entryOf(item, EntryState.returned),
            explanation: "came back to the DLQ after its replay",
          });
          entries.set(message.sqsMessageId, {
            ...entryOf(item, EntryState.returned),
            runId: run.id,
            updatedAt: new Date(),
          });
          emit(
            line(
              item,
              "returned",
              `came back to the DLQ after its replay (${message.reason ?? "no reason recorded"})`,
            ),
          );
          await hold(message);
          if (returned >= options.maxReturned) tripped = true;
          continue;
        }
        const sagaId = envelope && envelope.kind !== "event" ? envelope.sagaId : undefined;
        const flight = sagaId ? inFlight.get(sagaId) : undefined;
        if (flight && now() - flight.since < options.settleMs) {
          // One replayed message per saga in flight: this one waits for the first to be applied.
          deferred.set(message.sqsMessageId, now());
          await sqs.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: dlqUrl,
              ReceiptHandle: message.receiptHandle,
              VisibilityTimeout: Math.ceil(options.settleMs / 1000),
            }),
          );
          continue;
        }
        deferred.delete(message.sqsMessageId);
        const item = await lookUp(orchestrator, message, new Date(now()));
        let skipWhy: string | undefined;
        if (!selected(item, options.filter, now())) skipWhy = "not selected by the filters";
        else if (!replayable(item.verdict, options.includeStale))
          skipWhy = `${item.verdict}: ${item.explanation}`;
        else if (flight)
          skipWhy =
            "a replayed message of this saga was not applied in time; left for the next run";
        if (skipWhy) {
          await journal.record(run.id, {
            ...entryOf(item, EntryState.skipped),
            explanation: skipWhy,
          });
          entries.set(message.sqsMessageId, {
            ...entryOf(item, EntryState.skipped),
            runId: run.id,
            updatedAt: new Date(),
          });
          emit(line(item, "skip", skipWhy));
          await hold(message);
          continue;
        }
        const wait = pacer.delayBeforeSend();
        if (wait > 0) await sleep(wait);
        pacer.sent();
        await send(message, entryOf(item, EntryState.sending));
        emit(line(item, "send", item.explanation));
        if (sagaId) {
          // Its state before the replay: the saga has moved on once this changes.
          const updatedAt = item.saga?.updatedAt ?? "";
          inFlight.set(sagaId, { since: now(), updatedAt });
          sentSagas.push({ sagaId, updatedAt });
        }
      }
      emptyReceives = batch.length === 0 ? emptyReceives + 1 : 0;
      for (const [id, since] of deferred)
        if (now() - since > options.settleMs * 3) deferred.delete(id);
      if (emptyReceives >= 2 && deferred.size === 0) break;
      if (sentSagas.length > 0) {
        // The ramp: the batch doubles only when every saga of this one moved on in time.
        const settled = await waitForSagas(
          orchestrator,
          sentSagas,
          options.settleMs,
          async () => (await cameBack()) >= options.maxReturned,
        );
        const back = await cameBack();
        if (back >= options.maxReturned) {
          returned = back;
          tripped = true;
        }
        for (const sagaId of settled) inFlight.delete(sagaId);
        pacer.settled(settled.length, sentSagas.length);
      } else if (batch.length === 0 && deferred.size > 0) {
        await sleep(200);
      }
    }
  } catch (error) {
    await releaseMessages(sqs, dlqUrl, [...held.values()]).catch(() => {});
    throw error;
  }
  await releaseMessages(sqs, dlqUrl, [...held.values()]);
  const skipped = [...entries.values()].filter((e) => e.state === EntryState.skipped).length;
  const outcome = tripped
    ? `circuit breaker tripped: ${returned} replayed message(s) came back to ${queue.name}; stopped after ${sent} sent. The rest stays in the DLQ: fix ${queue.owner} and run again.`
    : `replayed ${sent} message(s) to ${queue.source.name}; ${skipped} left in ${queue.name}${returned > 0 ? `; ${returned} came back` : ""}`;
  await journal.finishRun(run.id, tripped ? "tripped" : "finished", outcome);
  return {
    dryRun: false,
    runId: run.id,
    resumed: unfinished !== undefined,
    destination: queue.source.name,
    lines,
    sent,
    skipped,
    returned,
    tripped,
    outcome,
  };
}

/**
 * Waits until each saga's updatedAt changed, the deadline passed, or `giveUp` says so; returns
 * the sagas that moved.
 */
async function waitForSagas(
  orchestrator: OrchestratorClient,
  sagas: readonly { sagaId: string; updatedAt: string }[],
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

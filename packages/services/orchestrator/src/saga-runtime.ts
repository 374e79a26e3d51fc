import { randomBytes, randomUUID } from "node:crypto";
import { OutboxHandOff } from "@sagaworks/messaging";
import {
  addToSagaContext,
  type Context,
  contextFromTraceparent,
  type Database,
  inSpan,
  type Knex,
  type Logger,
  context as otelContext,
  SpanAttribute,
  SpanKind,
  trace,
  withSagaContext,
} from "@sagaworks/platform";
import type { CompiledSaga, JsonValue } from "@sagaworks/saga-definition";
import {
  activeWork,
  type SagaEvent,
  type SagaSnapshot,
  type TransitionResult,
} from "@sagaworks/saga-engine";
import { OrchestratorErrorCode, OrchestratorErrors } from "./errors.ts";
import { lostWaitKeyRace, transitionHonouringWaitKeys } from "./events/wait-keys.ts";
import { historyEntry, isJunkReply } from "./history-entry.ts";
import { OrchestratorMetrics } from "./metrics.ts";
import type { DefinitionRegistry } from "./store/definition-registry.ts";
import { planEffects, type Routing } from "./store/effects.ts";
import { appendHistory, type HistoryEntry, loadHistory } from "./store/history.ts";
import { recordDelivery } from "./store/inbox.ts";
import {
  countJunkReply,
  findIdByIdempotencyKey,
  getInstance,
  listInstances,
  lockForDelivery,
  lockInstance,
  type SagaInstance,
  type SagaListQuery,
  type SagaSummary,
} from "./store/instances.ts";
import {
  deleteOutboxRow,
  deleteSentRows,
  listParked,
  type ParkedMessage,
  type SagaOutboxRow,
  SagaOutboxStore,
} from "./store/outbox.ts";
import { takeTimer } from "./store/timers.ts";
import { writeTransition } from "./store/transition-write.ts";

/** Counters for cost measurements (commits per saga); owned by {@link OrchestratorMetrics}. */
export type RuntimeMetrics = OrchestratorMetrics;

/** Everything the runtime needs, as one object (tests pass their own clock and random). */
export interface RuntimeDeps {
  db: Database;
  definitions: DefinitionRegistry;
  routing: Routing;
  logger: Logger;
  /** Defaults to the wall clock. */
  clock?: () => Date;
  /** Defaults to Math.random; only jitter uses it. */
  random?: () => number;
  /** The orchestrator's counters; defaults to a fresh object. */
  metrics?: OrchestratorMetrics;
  /** Called after each commit with the outbox rows it wrote, for immediate dispatch. */
  onOutboxWritten?: (rows: SagaOutboxRow[]) => void;
  /**
   * Outbox rows already sent, shared with the relay: each transaction deletes them on its way,
   * which saves the relay a commit of its own. Defaults to one nobody else fills.
   */
  handOff?: OutboxHandOff;
}

/** The runtime's dependencies with every default applied. */
interface ResolvedRuntimeDeps {
  db: Database;
  definitions: DefinitionRegistry;
  routing: Routing;
  logger: Logger;
  clock: () => Date;
  random: () => number;
  metrics: OrchestratorMetrics;
  onOutboxWritten: (rows: SagaOutboxRow[]) => void;
  handOff: OutboxHandOff;
}

function resolveRuntimeDeps(deps: RuntimeDeps): ResolvedRuntimeDeps {
  return {
    db: deps.db,
    definitions: deps.definitions,
    routing: deps.routing,
    logger: deps.logger,
    clock: deps.clock ?? (() => new Date()),
    random: deps.random ?? Math.random,
    metrics: deps.metrics ?? new OrchestratorMetrics(),
    onOutboxWritten: deps.onOutboxWritten ?? (() => {}),
    handOff: deps.handOff ?? new OutboxHandOff(new SagaOutboxStore(deps.db, async () => {})),
  };
}

/** A saga as the API shows it: the instance, its history and the messages parked for it. */
export interface SagaDetail {
  instance: SagaInstance;
  history: HistoryEntry[];
  parkedMessages: ParkedMessage[];
}

/**
 * Replies that change nothing (late, for another command, naming an unknown step) that get a
 * history entry each; later ones are only counted.
 */
export const JUNK_REPLIES_IN_HISTORY = 5;

/** What applying one event did. */
export type ApplyOutcome =
  | { kind: "applied" | "ignored" | "refused"; result: TransitionResult }
  | { kind: "duplicate" }
  | { kind: "unknown-saga" }
  | { kind: "timer-gone" };

/** Options of {@link SagaRuntime.apply}. */
export interface ApplyOptions {
  /** The delivered message's id: a second delivery with it inserts nothing and is dropped. */
  dedupeKey?: string;
  /** The timer that fired; applied only if it is still armed (another replica may have won). */
  timerId?: string;
  /** Who did it (operator actions), written to the history. */
  actor?: string;
  reason?: string;
  /** An outbox row (an HTTP call) whose answer this is: deleted in the same transaction. */
  outboxId?: string;
  /**
   * Checks the event against the saga's pinned definition before it is applied (a reply's
   * signature, with the key of the participant that owns its step); a reason refuses it: the
   * transaction rolls back, so nothing is recorded, not even the delivery, and `apply` throws
   * SAGA_REPLY_REFUSED with the reason.
   */
  refuse?: (compiled: CompiledSaga) => string | undefined;
}

// Postgres aborts one of two transactions that wait on each other (40P01) or fail to serialise
// (40001); both are safe to run again from the start.
/**
 * A transaction's work. It must delete `sentIds` (outbox rows the relay has sent) on every path
 * that commits, best in a statement it runs anyway, which saves a round trip.
 */
type TransactionWork<T> = (trx: Knex.Transaction, sentIds: readonly string[]) => Promise<T>;

const RETRYABLE_PG_CODES = new Set(["40P01", "40001"]);
const MAX_TRANSACTION_ATTEMPTS = 5;

/**
 * The I/O shell around `transition`. Each event is applied in one Postgres transaction that
 * locks the instance row, runs the pure engine, and writes the new snapshot, the history entry,
 * the outbox rows and the timers together (transactional outbox).
 *
 * Concurrency: row locks (`SELECT … FOR UPDATE`), not optimistic versions. A saga has one step
 * in flight, so contention on one row is rare, and a lock makes the second replica wait a few
 * milliseconds instead of failing and re-running its transaction. Lock order is always the
 * instance row first, then its timers, so the reply path and the timer path cannot deadlock.
 */
export class SagaRuntime {
  /** The orchestrator's counters (shared, not owned: see {@link OrchestratorMetrics}). */
  readonly metrics: OrchestratorMetrics;
  private readonly deps: ResolvedRuntimeDeps;
  private readonly clock: () => Date;
  private readonly random: () => number;

  constructor(deps: RuntimeDeps) {
    this.deps = resolveRuntimeDeps(deps);
    this.metrics = this.deps.metrics;
    this.clock = this.deps.clock;
    this.random = this.deps.random;
  }

  /**
   * Starts a saga on the deployed definition of `name`. With an idempotency key, a repeated
   * start returns the saga the first one created.
   */
  async start(
    compiled: CompiledSaga,
    input: JsonValue,
    options: { idempotencyKey?: string; actor?: string } = {},
  ): Promise<{ sagaId: string; created: boolean }> {
    if (options.idempotencyKey) {
      const existing = await this.findByIdempotencyKey(options.idempotencyKey);
      if (existing) return { sagaId: existing, created: false };
    }
    const sagaId = randomUUID();
    // The saga's trace starts here: with tracing on, its id is this span's, so the API request,
    // every command, handler, reply and HTTP step form one trace; off, a random id.
    return inSpan(
      "saga.start",
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          [SpanAttribute.sagaId]: sagaId,
          [SpanAttribute.sagaName]: compiled.name,
          [SpanAttribute.sagaVersion]: compiled.version,
        },
      },
      (span) => {
        const traceId = span.isRecording()
          ? span.spanContext().traceId
          : randomBytes(16).toString("hex");
        return withSagaContext({ sagaId, saga: compiled.name, traceId }, () =>
          this.startInContext(compiled, input, options, sagaId, traceId),
        );
      },
    );
  }

  private async startInContext(
    compiled: CompiledSaga,
    input: JsonValue,
    options: { idempotencyKey?: string; actor?: string },
    sagaId: string,
    traceId: string,
  ): Promise<{ sagaId: string; created: boolean }> {
    try {
      const rows = await this.inTransaction(async (trx, sentIds) => {
        await deleteSentRows(trx, sentIds);
        const now = this.clock();
        const event: SagaEvent = { type: "start", sagaId, input };
        const result = await transitionHonouringWaitKeys(trx, compiled, null, event, {
          now,
          random: this.random,
        });
        const effects = planEffects(result.effects, {
          snapshot: result.snapshot,
          traceId,
          routing: this.deps.routing,
          now,
        });
        const written = await writeTransition(trx, {
          snapshot: result.snapshot,
          now,
          instance: { kind: "insert", idempotencyKey: options.idempotencyKey ?? null, traceId },
          history: historyEntry(result.snapshot, event, result, now, { actor: options.actor }),
          effects,
        });
        this.metrics.applied++;
        this.metrics.sagaStarted(result.snapshot);
        return written;
      });
      this.deps.onOutboxWritten(rows);
      this.deps.logger.info(
        { version: compiled.version, event: "start" },
        `saga started: ${compiled.name}@${compiled.version}`,
      );
      return { sagaId, created: true };
    } catch (error) {
      // Two starts with one idempotency key at once: the unique index lets one win.
      if ((error as { code?: string }).code === "23505" && options.idempotencyKey) {
        const existing = await this.findByIdempotencyKey(options.idempotencyKey);
        if (existing) return { sagaId: existing, created: false };
      }
      throw error;
    }
  }

  private findByIdempotencyKey(key: string): Promise<string | undefined> {
    return findIdByIdempotencyKey(this.deps.db.knex, key);
  }

  /** Applies one event to one saga, exactly once per dedupe key, in one transaction. */
  apply(sagaId: string, event: SagaEvent, options: ApplyOptions = {}): Promise<ApplyOutcome> {
    return withSagaContext({ sagaId }, () => this.applyInContext(sagaId, event, options));
  }

  private async applyInContext(
    sagaId: string,
    event: SagaEvent,
    options: ApplyOptions,
  ): Promise<ApplyOutcome> {
    let written: SagaOutboxRow[] = [];
    let before: SagaSnapshot | undefined;
    let junk = false;
    const outcome = await this.inTransaction(async (trx, sentIds) => {
      written = [];
      junk = false;
      // A reply (a dedupe key and nothing else to take first) locks and records its delivery
      // in one round trip; the other events keep their order: lock, take, then record.
      const deliveryOnly = options.dedupeKey && !options.timerId && !options.outboxId;
      const locked = deliveryOnly
        ? await lockForDelivery(trx, sagaId, options.dedupeKey as string, this.clock(), sentIds)
        : { instance: await lockInstance(trx, sagaId, sentIds), first: true };
      const row = locked.instance;
      if (!row) return { kind: "unknown-saga" } as const;
      addToSagaContext({ saga: row.name, traceId: row.traceId });
      if (deliveryOnly && !locked.first) return { kind: "duplicate" } as const;
      if (options.timerId && !(await takeTimer(trx, options.timerId, this.clock()))) {
        return { kind: "timer-gone" } as const;
      }
      if (options.outboxId) await deleteOutboxRow(trx, options.outboxId);
      if (options.dedupeKey && !deliveryOnly) {
        const first = await recordDelivery(trx, options.dedupeKey, sagaId, this.clock());
        if (!first) return { kind: "duplicate" } as const;
      }
      const compiled = await this.deps.definitions.pinned(row.name, row.version, row.hash, trx);
      const refused = options.refuse?.(compiled);
      if (refused) {
        throw OrchestratorErrors.create(OrchestratorErrorCode.replyRefused, refused, { sagaId });
      }
      const now = this.clock();
      const span = trace.getTracer("sagaworks").startSpan(
        `saga.transition ${event.type}`,
        {
          attributes: {
            [SpanAttribute.sagaId]: sagaId,
            [SpanAttribute.sagaName]: row.name,
            [SpanAttribute.sagaVersion]: row.version,
            ...("step" in event
              ? { [SpanAttribute.step]: event.step, [SpanAttribute.attempt]: event.attempt }
              : {}),
          },
        },
        sagaTraceContext(row.traceId),
      );
      try {
        const inTransition = trace.setSpan(otelContext.active(), span);
        const result = await transitionHonouringWaitKeys(trx, compiled, row.snapshot, event, {
          now,
          random: this.random,
        });
        span.setAttribute("saga.applied", result.applied);
        span.setAttribute("saga.status", result.snapshot.status);
        before = row.snapshot;
        junk = !result.applied && isJunkReply(compiled, event);
        if (!result.applied && event.type === "reply") {
          // A reply that changes nothing (late, duplicated under another id, for another
          // command, or naming a step this saga does not have): anyone who can write to the
          // reply queue can send them, so only the first few reach the history; the rest are
          // counted. The instance row is locked, so the count is exact.
          const count = await countJunkReply(trx, sagaId);
          if (junk) this.metrics.junkReplies++;
          if (count > JUNK_REPLIES_IN_HISTORY) return { kind: "ignored", result } as const;
        }
        const history = historyEntry(result.snapshot, event, result, now, options);
        if (!result.applied) {
          await appendHistory(trx, result.snapshot.sagaId, history);
          return { kind: result.refused ? "refused" : "ignored", result } as const;
        }
        // Envelopes are built and validated before the statement, so a bad one writes nothing.
        // They carry the transition's context: their spans are its children.
        const effects = otelContext.with(inTransition, () =>
          planEffects(result.effects, {
            snapshot: result.snapshot,
            traceId: row.traceId,
            routing: this.deps.routing,
            now,
          }),
        );
        written = await writeTransition(trx, {
          snapshot: result.snapshot,
          now,
          instance: { kind: "update", revision: row.revision + 1 },
          history,
          effects,
        });
        return { kind: "applied", result } as const;
      } finally {
        span.end();
      }
    });
    // Counted after the commit: a transaction run again after a deadlock counts once.
    const result = "result" in outcome ? (outcome.result as TransitionResult) : undefined;
    if (result && before) {
      this.metrics.transition(before, event, result, this.clock());
      this.logTransition(before, event, result);
    }
    if (event.type === "reply") {
      this.metrics.reply(
        outcome.kind === "applied"
          ? "applied"
          : outcome.kind === "duplicate"
            ? "duplicate"
            : (outcome.kind === "ignored" || outcome.kind === "refused") && !junk
              ? "late"
              : "ignored",
      );
    }
    if (outcome.kind === "applied") this.metrics.applied++;
    if (outcome.kind === "ignored" || outcome.kind === "refused") this.metrics.ignored++;
    if (outcome.kind === "duplicate") this.metrics.duplicates++;
    if (written.length > 0) this.deps.onOutboxWritten(written);
    return outcome;
  }

  /** One info line per transition, so a saga can be followed with grep: from → to, and the event. */
  private logTransition(before: SagaSnapshot, event: SagaEvent, result: TransitionResult): void {
    const after = result.snapshot;
    // The step the event is about; else the one the saga waits on (operator actions, deadline).
    const work = "step" in event ? event : (activeWork(after) ?? activeWork(before));
    this.deps.logger.info(
      {
        saga: before.sagaName,
        ...(work ? { step: work.step, attempt: work.attempt } : {}),
        event: event.type === "operator" ? `operator.${event.action}` : event.type,
        ...(event.type === "reply" ? { reply: event.name } : {}),
        from: `${before.status}/${before.state}`,
        to: `${after.status}/${after.state}`,
        applied: result.applied,
        note: result.note,
      },
      `saga ${before.status}/${before.state} → ${after.status}/${after.state}`,
    );
  }

  /**
   * Runs `work` in a transaction, again from the start on a deadlock or serialisation failure.
   * The transaction also deletes outbox rows the relay has sent since the last one.
   */
  private inTransaction<T>(work: TransactionWork<T>): Promise<T> {
    // A span only inside a saga's trace (a start, a reply, an HTTP answer); a timer's or an
    // operator's transaction would otherwise be a trace of its own.
    if (!trace.getActiveSpan()) return this.transactionWithRetries(work);
    return inSpan("saga.transaction", { kind: SpanKind.INTERNAL }, () =>
      this.transactionWithRetries(work),
    );
  }

  private async transactionWithRetries<T>(work: TransactionWork<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        // The hand-off gives the sent ids back if this attempt fails, and the next takes them.
        const value = await this.deps.handOff.transactionDeletingIn(this.deps.db.knex, work);
        this.metrics.commits++;
        return value;
      } catch (error) {
        const code = (error as { code?: string }).code ?? "";
        const retryable = RETRYABLE_PG_CODES.has(code) || lostWaitKeyRace(error);
        if (!retryable || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
        this.deps.logger.warn(
          { code, attempt },
          "transaction aborted by Postgres; running it again",
        );
      }
    }
  }

  /** Loads a saga: its instance, its history (oldest first) and its parked messages. */
  async load(sagaId: string): Promise<SagaDetail> {
    const knex = this.deps.db.knex;
    const instance = await getInstance(knex, sagaId);
    if (!instance) {
      throw OrchestratorErrors.create(
        OrchestratorErrorCode.sagaNotFound,
        `No saga with id ${sagaId}.`,
        { sagaId },
      );
    }
    const [history, parkedMessages] = await Promise.all([
      loadHistory(knex, sagaId),
      listParked(knex, sagaId),
    ]);
    return { instance, history, parkedMessages };
  }

  /** Sagas newest first, filtered; at most `query.limit`. */
  list(query: SagaListQuery): Promise<SagaSummary[]> {
    return listInstances(this.deps.db.knex, query);
  }
}

/**
 * The parent of a transition's span: the active context when it is already in the saga's trace
 * (a reply, an HTTP answer, a timer: their spans carry it), else the saga's trace id as a remote
 * parent (an operator action from a client that sent no traceparent), so it joins the saga's trace.
 */
function sagaTraceContext(traceId: string): Context {
  const active = trace.getSpanContext(otelContext.active());
  if (active?.traceId === traceId) return otelContext.active();
  return contextFromTraceparent(`00-${traceId}-${randomBytes(8).toString("hex")}-01`);
}

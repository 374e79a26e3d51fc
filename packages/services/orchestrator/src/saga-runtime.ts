import { randomUUID } from "node:crypto";
import {
  CHAIN_FORWARD_MAX_BYTES,
  newTraceId,
  newTraceparent,
  type OutboxHandOff,
} from "@sagaworks/messaging";
import {
  addToSagaContext,
  type Context,
  contextFromTraceparent,
  type Database,
  inSpan,
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
  type Effect,
  type ParentLink,
  type SagaEvent,
  type SagaSnapshot,
  type TransitionContext,
  type TransitionResult,
} from "@sagaworks/saga-engine";
import {
  mergePlannedEffects,
  type PlannedEffects,
  planEffects,
  type Routing,
} from "./commit-plan/effects.ts";
import {
  type CallHttpEffect,
  inlineReadOf,
  isDefinitiveAnswer,
} from "./commit-plan/inline-read.ts";
import { OrchestratorErrorCode, OrchestratorErrors } from "./errors.ts";
import { lostWaitKeyRace, transitionHonouringWaitKeys } from "./events/wait-keys.ts";
import { historyEntry, isJunkReply } from "./history-entry.ts";
import { assertValidInput } from "./input-validation.ts";
import type { OrchestratorMetrics } from "./metrics.ts";
import type { DefinitionRegistry } from "./store/definition-registry.ts";
import { type HistoryEntry, loadHistory } from "./store/history.ts";
import { wasDelivered } from "./store/inbox.ts";
import { InstanceCache, KeyedSerial } from "./store/instance-cache.ts";
import {
  findIdByIdempotencyKey,
  getInstance,
  listInstances,
  type SagaInstance,
  type SagaListQuery,
  type SagaSummary,
} from "./store/instances.ts";
import { listParked, type ParkedMessage, type SagaOutboxRow } from "./store/outbox.ts";
import {
  insertVersioned,
  readInstance,
  type SagaWrite,
  type WriteOutcome,
  writeVersioned,
} from "./store/versioned-write.ts";
import { type SagaLinks, sagaLinks } from "./sub-sagas/saga-links.ts";
import type { HttpStepRequest } from "./worker/http-step-request.ts";

/**
 * Everything the runtime needs, as one object and complete: the orchestrator resolves the
 * defaults (tests pass their own clock and random).
 */
export interface RuntimeDeps {
  db: Database;
  definitions: DefinitionRegistry;
  routing: Routing;
  logger: Logger;
  clock: () => Date;
  /** Only jitter uses it. */
  random: () => number;
  /** The orchestrator's counters. */
  metrics: OrchestratorMetrics;
  /** Called after each commit with the outbox rows it wrote, for immediate dispatch. */
  onOutboxWritten: (rows: SagaOutboxRow[]) => void;
  /**
   * Outbox rows already sent, shared with the relay: each write deletes them on its way, which
   * saves the relay a commit of its own.
   */
  handOff: OutboxHandOff;
  /** Instances kept between their events (`instanceCacheSize`). */
  cacheSize: number;
  /**
   * Makes a read-only HTTP step's call at once (with the inline budget as its timeout), so a
   * start can apply the answer before it commits; undefined makes every call through the outbox.
   */
  readInline?: ((call: HttpStepRequest) => Promise<SagaEvent>) | undefined;
  /** Send chains of command steps (`chainSteps`; see saga-engine's chain.ts). */
  chainSteps?: boolean | undefined;
}

/** A saga as the API shows it: the instance, its history and the messages parked for it. */
export interface SagaDetail {
  instance: SagaInstance;
  history: HistoryEntry[];
  parkedMessages: ParkedMessage[];
  /** The saga that started this one, and the sagas this one started (see sub-sagas/). */
  links: SagaLinks;
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
  /** The delivered message's id: a second delivery with it writes nothing and is dropped. */
  dedupeKey?: string;
  /** The timer that fired; applied only if it is still armed and due (another replica may have won). */
  timerId?: string;
  /** Who did it (operator actions), written to the history. */
  actor?: string;
  reason?: string;
  /** An outbox row (an HTTP call) whose answer this is: deleted in the same statement. */
  outboxId?: string;
  /**
   * Checks the event against the saga's pinned definition before it is applied (a reply's
   * signature, with the key of the participant that owns its step); a reason refuses it:
   * nothing is written, not even the delivery, and `apply` throws SAGA_REPLY_REFUSED with the
   * reason. The check sees exactly the instance the write is conditioned on.
   */
  refuse?: (compiled: CompiledSaga) => string | undefined;
  /**
   * Events applied before this one, in order, in the same write: the answers a chain carried
   * (see saga-engine's chain.ts). Each is checked as if it came alone; one that changes nothing
   * is passed over.
   */
  before?: readonly SagaEvent[];
}

/** How often one event is read and applied again after other writers changed its saga first. */
const MAX_WRITE_ATTEMPTS = 8;
// Postgres aborts one of two statements that wait on each other (40P01) or fail to serialise
// (40001); both are safe to run again.
const RETRYABLE_PG_CODES = new Set(["40P01", "40001"]);

/** What the pure part of applying an event decided: the outcome, and what to write for it. */
interface Decision {
  outcome: Extract<ApplyOutcome, { result: TransitionResult }>;
  write: SagaWrite;
  junk: boolean;
  /** The transitions applied before the event's own (a chain's earlier answers), in order. */
  before: AppliedBefore[];
}

/** One transition applied before the delivered event's own: what it saw, got and made. */
interface AppliedBefore {
  snapshot: SagaSnapshot;
  event: SagaEvent;
  result: TransitionResult;
}

/** How a saga is started: an idempotency key, who started it, and the parent of a child saga. */
export interface StartOptions {
  idempotencyKey?: string;
  actor?: string;
  /** Set when a parent saga's sub-saga step starts this one; its end then answers the parent. */
  parent?: ParentLink;
}

/** One start, as `start` resolved it: the definition, the input, its options, its ids. */
interface StartRequest {
  compiled: CompiledSaga;
  input: JsonValue;
  options: StartOptions;
  sagaId: string;
  traceId: string;
}

/**
 * The I/O shell around `transition`. Each event is applied as one statement (Database.statement)
 * that updates the instance row only if it still has the revision this replica read, and writes
 * the history entry, the inbox row, the timers and the outbox rows from that update, so they are
 * written only with it (transactional outbox, in one statement).
 *
 * Concurrency: optimistic, by revision. The replica keeps the instances it works on in a
 * bounded cache ({@link InstanceCache}); every writer of a saga's rows bumps `revision`, so a
 * stale entry makes the write match no row, and the event is read and applied again. A saga
 * has one step in flight, so that is rare; one write per saga is in flight in this process.
 */
export class SagaRuntime {
  /** The orchestrator's counters (shared, not owned: see {@link OrchestratorMetrics}). */
  readonly metrics: OrchestratorMetrics;
  /** The instances this replica works on; tests may look in or spoil entries. */
  readonly cache: InstanceCache;
  private readonly deps: RuntimeDeps;
  private readonly clock: () => Date;
  private readonly random: () => number;
  private readonly serial = new KeyedSerial();

  constructor(deps: RuntimeDeps) {
    this.deps = deps;
    this.metrics = this.deps.metrics;
    this.clock = this.deps.clock;
    this.random = this.deps.random;
    this.cache = new InstanceCache(deps.cacheSize);
  }

  /**
   * Starts a saga on the deployed definition of `name`. With an idempotency key, a repeated
   * start returns the saga the first one created. Throws `SAGA_INPUT_INVALID` naming each JSON
   * path of an input that does not match the definition's input schema.
   */
  async start(
    compiled: CompiledSaga,
    input: JsonValue,
    options: StartOptions = {},
  ): Promise<{ sagaId: string; created: boolean }> {
    assertValidInput(compiled, input);
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
        const traceId = span.isRecording() ? span.spanContext().traceId : newTraceId();
        return withSagaContext({ sagaId, saga: compiled.name, traceId }, () =>
          this.startInContext({ compiled, input, options, sagaId, traceId }),
        );
      },
    );
  }

  private async startInContext(start: StartRequest): Promise<{ sagaId: string; created: boolean }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce(start);
      } catch (error) {
        // Two sagas opened one wait key at once: the next attempt sees the winner, and this
        // saga's waiting step fails with AWAIT_KEY_TAKEN instead.
        if (!lostWaitKeyRace(error) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
      }
    }
  }

  private async startOnce(start: StartRequest): Promise<{ sagaId: string; created: boolean }> {
    const { compiled, input, options, sagaId, traceId } = start;
    const now = this.clock();
    const event: SagaEvent = {
      type: "start",
      sagaId,
      input,
      ...(options.parent ? { parent: options.parent } : {}),
    };
    const { started, inline, result, history, effects } = await this.decideStart(start, event, now);
    const sentIds = this.deps.handOff.take();
    let written: Awaited<ReturnType<typeof insertVersioned>>;
    try {
      written = await this.inCommitSpan(() =>
        insertVersioned(this.deps.db, {
          snapshot: result.snapshot,
          now,
          idempotencyKey: options.idempotencyKey ?? null,
          traceId,
          history,
          effects,
          sentIds,
        }),
      );
    } catch (error) {
      this.deps.handOff.giveBack(sentIds);
      // Two starts with one idempotency key at once: the unique index lets one win.
      if ((error as { code?: string }).code === "23505" && options.idempotencyKey) {
        const existing = await this.findByIdempotencyKey(options.idempotencyKey);
        if (existing) return { sagaId: existing, created: false };
      }
      throw error;
    }
    this.metrics.commits++;
    this.metrics.applied++;
    this.metrics.sagaStarted(started.snapshot);
    this.cache.set(written.instance);
    this.deps.onOutboxWritten(written.rows);
    this.deps.logger.info(
      { version: compiled.version, event: "start" },
      `saga started: ${compiled.name}@${compiled.version}`,
    );
    if (inline) {
      this.metrics.applied++;
      this.metrics.transition(started.snapshot, inline.answer, result, this.clock());
      this.logTransition(started.snapshot, inline.answer, result);
    }
    return { sagaId, created: true };
  }

  /**
   * The pure part of a start, with the one exception of a read-only first call made inline: the
   * start's transition, and the answer's when the call was made, and what they write together.
   */
  private async decideStart(start: StartRequest, event: SagaEvent, now: Date) {
    const { compiled, traceId, options } = start;
    const knex = this.deps.db.knex;
    const started = await transitionHonouringWaitKeys(
      knex,
      compiled,
      null,
      event,
      this.transitionContext(now),
    );
    const history = [historyEntry(started.snapshot, event, started, now, { actor: options.actor })];
    const inline = await this.readInline(compiled, started);
    if (!inline) {
      const effects = this.plan(started.effects, started.snapshot, traceId, now);
      return { started, inline, result: started, history, effects };
    }
    const answeredAt = this.clock();
    const result = await transitionHonouringWaitKeys(
      knex,
      compiled,
      started.snapshot,
      inline.answer,
      this.transitionContext(answeredAt),
    );
    history.push(historyEntry(result.snapshot, inline.answer, result, answeredAt, {}));
    const effects = mergePlannedEffects(
      this.plan(
        started.effects.filter((effect) => effect !== inline.call),
        started.snapshot,
        traceId,
        now,
      ),
      this.plan(result.effects, result.snapshot, traceId, answeredAt),
    );
    return { started, inline, result, history, effects };
  }

  private plan(
    effects: readonly Effect[],
    snapshot: SagaSnapshot,
    traceId: string,
    now: Date,
  ): PlannedEffects {
    return planEffects(effects, { snapshot, traceId, routing: this.deps.routing, now });
  }

  /**
   * Makes a start's read-only HTTP call before the start commits (see commit-plan/inline-read),
   * when the orchestrator allows it; answers with the call and its answer when the answer is
   * one the definition names, else undefined (the call then goes to the outbox as usual).
   */
  private async readInline(
    compiled: CompiledSaga,
    started: TransitionResult,
  ): Promise<{ call: CallHttpEffect; answer: SagaEvent } | undefined> {
    const request = this.deps.readInline;
    const call = request && inlineReadOf(compiled, started.effects);
    if (!request || !call) return undefined;
    const answer = await request(call);
    return isDefinitiveAnswer(compiled, answer) ? { call, answer } : undefined;
  }

  private findByIdempotencyKey(key: string): Promise<string | undefined> {
    return findIdByIdempotencyKey(this.deps.db.knex, key);
  }

  /** Applies one event to one saga, exactly once per dedupe key, in one statement. */
  apply(sagaId: string, event: SagaEvent, options: ApplyOptions = {}): Promise<ApplyOutcome> {
    return withSagaContext({ sagaId }, () =>
      this.serial.run(sagaId, () =>
        this.inCommitSpan(() => this.applyInContext(sagaId, event, options)),
      ),
    );
  }

  private async applyInContext(
    sagaId: string,
    event: SagaEvent,
    options: ApplyOptions,
  ): Promise<ApplyOutcome> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const row = this.cache.get(sagaId) ?? (await this.read(sagaId));
      if (!row) return this.counted(event, { kind: "unknown-saga" }, false);
      addToSagaContext({ saga: row.name, traceId: row.traceId });
      const compiled = await this.deps.definitions.pinned(row.name, row.version, row.hash);
      const refused = options.refuse?.(compiled);
      if (refused) return this.refuse(sagaId, event, options, refused);
      const decision = await this.decide(row, compiled, event, options);
      const written = await this.write(row, decision.write);
      if (written.kind === "conflict") {
        // The statement answered with the row it found: the next attempt starts from it.
        if (written.current && written.current.revision !== row.revision) {
          this.cache.set(written.current);
        } else this.cache.delete(sagaId);
        this.metrics.writeConflicts++;
        continue;
      }
      if (written.kind !== "written") {
        // A duplicate failed on the inbox key after its update matched, so the entry is
        // current; otherwise nothing was written and the entry may be behind another writer.
        if (written.kind !== "duplicate") this.cache.delete(sagaId);
        return this.counted(event, { kind: written.kind }, false);
      }
      this.cache.set(written.instance);
      const { result } = decision.outcome;
      const at = this.clock();
      for (const earlier of decision.before) {
        this.metrics.transition(earlier.snapshot, earlier.event, earlier.result, at);
        this.logTransition(earlier.snapshot, earlier.event, earlier.result);
      }
      const last = decision.before.at(-1);
      if (last?.result !== result) {
        const before = last?.result.snapshot ?? row.snapshot;
        this.metrics.transition(before, event, result, at);
        this.logTransition(before, event, result);
      }
      if (written.rows.length > 0) this.deps.onOutboxWritten(written.rows);
      return this.counted(event, decision.outcome, decision.junk);
    }
    throw OrchestratorErrors.create(
      OrchestratorErrorCode.writeConflict,
      `Saga ${sagaId} was changed by other writers ${MAX_WRITE_ATTEMPTS} times while this event was applied; it is not applied (a redelivery tries again).`,
      { sagaId, attempts: MAX_WRITE_ATTEMPTS },
    );
  }

  /** Reads an instance the cache does not have. */
  private async read(sagaId: string): Promise<SagaInstance | undefined> {
    const row = await readInstance(this.deps.db, sagaId);
    if (row) this.cache.set(row);
    return row;
  }

  /**
   * A refused event writes nothing; a refused copy of a message applied before (a redelivery
   * that has since grown stale) is a duplicate, as it was before it grew stale.
   */
  private async refuse(
    sagaId: string,
    event: SagaEvent,
    options: ApplyOptions,
    reason: string,
  ): Promise<ApplyOutcome> {
    if (options.dedupeKey && (await wasDelivered(this.deps.db.knex, options.dedupeKey))) {
      return this.counted(event, { kind: "duplicate" }, false);
    }
    throw OrchestratorErrors.create(OrchestratorErrorCode.replyRefused, reason, { sagaId });
  }

  /**
   * The pure part: runs the engine on the instance as read and says what to write. A reply
   * that changes nothing (late, duplicated under another id, for another command, or naming a
   * step this saga does not have) is counted on the instance; anyone who can write to the
   * reply queue can send them, so only the first few reach the history.
   */
  private async decide(
    row: SagaInstance,
    compiled: CompiledSaga,
    event: SagaEvent,
    options: ApplyOptions,
  ): Promise<Decision> {
    const now = this.clock();
    const span = trace.getTracer("sagaworks").startSpan(
      `saga.transition ${event.type}`,
      {
        attributes: {
          [SpanAttribute.sagaId]: row.id,
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
      const prelude = await this.prelude(row, compiled, options.before ?? [], now);
      const result = await transitionHonouringWaitKeys(
        this.deps.db.knex,
        compiled,
        prelude.snapshot,
        event,
        this.transitionContext(now),
      );
      span.setAttribute("saga.applied", result.applied);
      span.setAttribute("saga.status", result.snapshot.status);
      const junk = !result.applied && isJunkReply(compiled, event);
      const counted = !result.applied && event.type === "reply";
      const history = historyEntry(result.snapshot, event, result, now, options);
      const base = {
        now,
        dedupeKey: options.dedupeKey,
        timerId: options.timerId,
        outboxId: options.outboxId,
        sentIds: [] as readonly string[],
      };
      if (!result.applied && prelude.last) {
        // The chain's earlier answers moved the saga; this one did not (late, or the saga
        // ended on the way): written with them, and noted in the history.
        return {
          outcome: { kind: "applied", result: prelude.last },
          before: prelude.applied,
          junk: false,
          write: {
            ...base,
            snapshot: prelude.snapshot,
            history: [...prelude.history, history],
            junkReplies: 0,
            effects: prelude.effects,
          },
        };
      }
      if (!result.applied) {
        const inHistory = !counted || row.junkReplies + 1 <= JUNK_REPLIES_IN_HISTORY;
        return {
          outcome: { kind: result.refused ? "refused" : "ignored", result },
          before: [],
          junk,
          write: {
            ...base,
            snapshot: undefined,
            history: inHistory ? [history] : [],
            junkReplies: counted ? 1 : 0,
            effects: { rows: [], cancelled: [], scheduled: [] },
          },
        };
      }
      // Envelopes are built and validated before the statement, so a bad one writes nothing.
      // They carry the transition's context: their spans are its children.
      const inTransition = trace.setSpan(otelContext.active(), span);
      const effects = otelContext.with(inTransition, () =>
        planEffects(result.effects, {
          snapshot: result.snapshot,
          traceId: row.traceId,
          routing: this.deps.routing,
          now,
        }),
      );
      return {
        outcome: { kind: "applied", result },
        before: prelude.applied,
        junk,
        write: {
          ...base,
          snapshot: result.snapshot,
          history: [...prelude.history, history],
          junkReplies: 0,
          effects: prelude.last ? mergePlannedEffects(prelude.effects, effects) : effects,
        },
      };
    } finally {
      span.end();
    }
  }

  /**
   * Applies the events that come before the one delivered (a chain's earlier answers), each to
   * the snapshot the one before left: what they change, their history and their effects.
   */
  private async prelude(
    row: SagaInstance,
    compiled: CompiledSaga,
    events: readonly SagaEvent[],
    now: Date,
  ): Promise<{
    snapshot: SagaSnapshot;
    last: TransitionResult | undefined;
    applied: AppliedBefore[];
    history: HistoryEntry[];
    effects: PlannedEffects;
  }> {
    let snapshot = row.snapshot;
    let last: TransitionResult | undefined;
    const applied: AppliedBefore[] = [];
    const history: HistoryEntry[] = [];
    let effects: PlannedEffects = { rows: [], cancelled: [], scheduled: [] };
    for (const event of events) {
      const result = await transitionHonouringWaitKeys(
        this.deps.db.knex,
        compiled,
        snapshot,
        event,
        this.transitionContext(now),
      );
      if (!result.applied) continue;
      history.push(historyEntry(result.snapshot, event, result, now, {}));
      effects = mergePlannedEffects(
        effects,
        planEffects(result.effects, {
          snapshot: result.snapshot,
          traceId: row.traceId,
          routing: this.deps.routing,
          now,
        }),
      );
      applied.push({ snapshot, event, result });
      snapshot = result.snapshot;
      last = result;
    }
    return { snapshot, last, applied, history, effects };
  }

  /**
   * What the engine is given besides the event: the clock, chance, whether to chain, and how
   * large a chained command may grow (the bound the participants forward under too).
   */
  private transitionContext(now: Date): TransitionContext {
    return {
      now,
      random: this.random,
      chainSteps: this.deps.chainSteps,
      chainMaxBytes: CHAIN_FORWARD_MAX_BYTES,
    };
  }

  /**
   * Sends one write, deleting on its way the outbox rows the relay has sent (given back if the
   * statement fails). A lost connection leaves the outcome unknown: the entry is dropped, so
   * the next event reads the row first.
   */
  private async write(row: SagaInstance, write: SagaWrite): Promise<WriteOutcome> {
    for (let attempt = 1; ; attempt++) {
      const sentIds = this.deps.handOff.take();
      try {
        const outcome = await writeVersioned(this.deps.db, row, { ...write, sentIds });
        this.metrics.commits++;
        return outcome;
      } catch (error) {
        this.deps.handOff.giveBack(sentIds);
        // Another saga opened the same wait key first: like a conflict, the event is decided
        // again, and the next decision sees the key taken.
        if (lostWaitKeyRace(error)) return { kind: "conflict", current: undefined };
        const code = (error as { code?: string }).code ?? "";
        if (!RETRYABLE_PG_CODES.has(code) || attempt >= MAX_WRITE_ATTEMPTS) {
          this.cache.delete(row.id);
          throw error;
        }
        this.deps.logger.warn({ code, attempt }, "statement aborted by Postgres; running it again");
      }
    }
  }

  /** Counts an outcome in the metrics and hands it back. */
  private counted(event: SagaEvent, outcome: ApplyOutcome, junk: boolean): ApplyOutcome {
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
    if (junk) this.metrics.junkReplies++;
    if (outcome.kind === "applied") this.metrics.applied++;
    if (outcome.kind === "ignored" || outcome.kind === "refused") this.metrics.ignored++;
    if (outcome.kind === "duplicate") this.metrics.duplicates++;
    return outcome;
  }

  /**
   * Runs a write inside a span only within a saga's trace (a start, a reply, an HTTP answer); a
   * timer's or an operator's write would otherwise be a trace of its own.
   */
  private inCommitSpan<T>(work: () => Promise<T>): Promise<T> {
    if (!trace.getActiveSpan()) return work();
    return inSpan("saga.transaction", { kind: SpanKind.INTERNAL }, work);
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
    const compiled = await this.deps.definitions.pinned(
      instance.name,
      instance.version,
      instance.hash,
    );
    const [history, parkedMessages, links] = await Promise.all([
      loadHistory(knex, sagaId),
      listParked(knex, sagaId),
      sagaLinks(knex, instance.snapshot, compiled),
    ]);
    return { instance, history, parkedMessages, links };
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
  return contextFromTraceparent(newTraceparent(traceId));
}

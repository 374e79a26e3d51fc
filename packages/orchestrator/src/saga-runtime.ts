import { randomBytes, randomUUID } from "node:crypto";
import type { Database, Knex, Logger } from "@sagaworks/platform";
import type { CompiledSaga, JsonValue } from "@sagaworks/saga-definition";
import {
  type Effect,
  type SagaEvent,
  type SagaSnapshot,
  type TransitionResult,
  transition,
} from "@sagaworks/saga-engine";
import { OrchestratorError, OrchestratorErrorCode } from "./errors.ts";
import type { DefinitionRegistry } from "./store/definition-registry.ts";
import { type Routing, type SagaOutboxRow, writeEffects } from "./store/effects.ts";

/** Counters for cost measurements (commits per saga). */
export interface RuntimeMetrics {
  /** Postgres transactions committed by the orchestrator. */
  commits: number;
  /** Events applied (changed an instance). */
  applied: number;
  /** Events offered but ignored (late, duplicate, stale). */
  ignored: number;
  /** Deliveries dropped by the inbox as already seen. */
  duplicates: number;
}

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
  /** Called after each commit with the outbox rows it wrote, for immediate dispatch. */
  onOutboxWritten?: (rows: SagaOutboxRow[]) => void;
  /**
   * Outbox rows already sent: each transaction deletes them on its way, which saves the relay a
   * commit of its own (see OutboxRelay.takeSent).
   */
  sentOutbox?: { takeSent(): string[]; giveBack(ids: readonly string[]): void };
}

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
}

interface InstanceRow {
  id: string;
  saga_name: string;
  saga_version: number;
  saga_hash: string;
  snapshot: SagaSnapshot;
  revision: number;
  trace_id: string;
}

// Postgres aborts one of two transactions that wait on each other (40P01) or fail to serialise
// (40001); both are safe to run again from the start.
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
  readonly metrics: RuntimeMetrics = { commits: 0, applied: 0, ignored: 0, duplicates: 0 };
  private readonly deps: RuntimeDeps;
  private readonly clock: () => Date;
  private readonly random: () => number;

  constructor(deps: RuntimeDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? (() => new Date());
    this.random = deps.random ?? Math.random;
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
    const traceId = randomBytes(16).toString("hex");
    try {
      const rows = await this.inTransaction(async (trx) => {
        const now = this.clock();
        const result = transition(
          compiled,
          null,
          { type: "start", sagaId, input },
          { now, random: this.random },
        );
        await trx("saga_instances").insert({
          id: sagaId,
          saga_name: compiled.name,
          saga_version: compiled.version,
          saga_hash: compiled.hash,
          status: result.snapshot.status,
          state: result.snapshot.state,
          snapshot: JSON.stringify(result.snapshot),
          revision: 1,
          idempotency_key: options.idempotencyKey ?? null,
          trace_id: traceId,
          created_at: now,
          updated_at: now,
        });
        await this.appendHistory(
          trx,
          result.snapshot,
          { type: "start", sagaId, input },
          result,
          now,
          {
            actor: options.actor,
          },
        );
        this.metrics.applied++;
        return writeEffects(trx, result.effects, {
          compiled,
          snapshot: result.snapshot,
          traceId,
          routing: this.deps.routing,
          now,
        });
      });
      this.deps.onOutboxWritten?.(rows);
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

  private async findByIdempotencyKey(key: string): Promise<string | undefined> {
    const row = (await this.deps.db
      .knex("saga_instances")
      .where({ idempotency_key: key })
      .first("id")) as { id: string } | undefined;
    return row?.id;
  }

  /** Applies one event to one saga, exactly once per dedupe key, in one transaction. */
  async apply(sagaId: string, event: SagaEvent, options: ApplyOptions = {}): Promise<ApplyOutcome> {
    let written: SagaOutboxRow[] = [];
    const outcome = await this.inTransaction(async (trx) => {
      written = [];
      const row = (await trx("saga_instances").where({ id: sagaId }).forUpdate().first()) as
        | InstanceRow
        | undefined;
      if (!row) return { kind: "unknown-saga" } as const;
      if (options.timerId) {
        const timer = await trx("saga_timers")
          .where({ id: options.timerId })
          .forUpdate()
          .first("id");
        if (!timer) return { kind: "timer-gone" } as const;
        await trx("saga_timers").where({ id: options.timerId }).delete();
      }
      if (options.outboxId) await trx("saga_outbox").where({ id: options.outboxId }).delete();
      if (options.dedupeKey) {
        const inserted = await trx("saga_inbox")
          .insert({ message_id: options.dedupeKey, saga_id: sagaId, received_at: this.clock() })
          .onConflict("message_id")
          .ignore()
          .returning("message_id");
        if (inserted.length === 0) return { kind: "duplicate" } as const;
      }
      const compiled = await this.deps.definitions.pinned(
        row.saga_name,
        row.saga_version,
        row.saga_hash,
        trx,
      );
      const now = this.clock();
      const result = transition(compiled, row.snapshot, event, { now, random: this.random });
      await this.appendHistory(trx, result.snapshot, event, result, now, options);
      if (!result.applied) return { kind: result.refused ? "refused" : "ignored", result } as const;
      await trx("saga_instances")
        .where({ id: sagaId })
        .update({
          status: result.snapshot.status,
          state: result.snapshot.state,
          snapshot: JSON.stringify(result.snapshot),
          revision: row.revision + 1,
          updated_at: now,
        });
      written = await writeEffects(trx, result.effects, {
        compiled,
        snapshot: result.snapshot,
        traceId: row.trace_id,
        routing: this.deps.routing,
        now,
      });
      return { kind: "applied", result } as const;
    });
    if (outcome.kind === "applied") this.metrics.applied++;
    if (outcome.kind === "ignored" || outcome.kind === "refused") this.metrics.ignored++;
    if (outcome.kind === "duplicate") this.metrics.duplicates++;
    if (written.length > 0) this.deps.onOutboxWritten?.(written);
    return outcome;
  }

  private async appendHistory(
    trx: Knex,
    snapshot: SagaSnapshot,
    event: SagaEvent,
    result: TransitionResult,
    now: Date,
    options: { actor?: string | undefined; reason?: string | undefined },
  ): Promise<void> {
    await trx("saga_history").insert({
      saga_id: snapshot.sagaId,
      seq: snapshot.seq,
      at: now,
      event_type: event.type === "operator" ? `operator.${event.action}` : event.type,
      event: JSON.stringify(event),
      applied: result.applied,
      note: result.note,
      status: snapshot.status,
      state: snapshot.state,
      actor: options.actor ?? (event.type === "operator" ? event.actor : null),
      reason: options.reason ?? (event.type === "operator" ? event.reason : null),
      effects: JSON.stringify(result.effects.map(summariseEffect)),
    });
  }

  /**
   * Runs `work` in a transaction, again from the start on a deadlock or serialisation failure.
   * The transaction also deletes outbox rows the relay has sent since the last one.
   */
  private async inTransaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    const sent = this.deps.sentOutbox?.takeSent() ?? [];
    for (let attempt = 1; ; attempt++) {
      try {
        const value = await this.deps.db.knex.transaction(async (trx) => {
          if (sent.length > 0) await trx("saga_outbox").whereIn("id", sent).delete();
          return work(trx);
        });
        this.metrics.commits++;
        return value;
      } catch (error) {
        const code = (error as { code?: string }).code ?? "";
        if (!RETRYABLE_PG_CODES.has(code) || attempt >= MAX_TRANSACTION_ATTEMPTS) {
          this.deps.sentOutbox?.giveBack(sent);
          throw error;
        }
        this.deps.logger.warn(
          { code, attempt },
          "transaction aborted by Postgres; running it again",
        );
      }
    }
  }

  /** Loads a saga: its snapshot and its history, oldest first. */
  async load(sagaId: string) {
    const row = (await this.deps.db.knex("saga_instances").where({ id: sagaId }).first()) as
      | (InstanceRow & { created_at: Date; updated_at: Date; idempotency_key: string | null })
      | undefined;
    if (!row) {
      throw new OrchestratorError(
        OrchestratorErrorCode.sagaNotFound,
        `No saga with id ${sagaId}.`,
        { sagaId },
      );
    }
    const history = await this.deps.db
      .knex("saga_history")
      .where({ saga_id: sagaId })
      .orderBy("id", "asc")
      .select(
        "seq",
        "at",
        "event_type",
        "event",
        "applied",
        "note",
        "status",
        "state",
        "actor",
        "reason",
        "effects",
      );
    return { row, history };
  }
}

/** What the history keeps of an effect: enough to read the timeline, not whole payloads. */
function summariseEffect(effect: Effect): Record<string, unknown> {
  switch (effect.type) {
    case "send-command":
      return {
        type: effect.type,
        service: effect.service,
        command: effect.command,
        step: effect.step,
        attempt: effect.attempt,
        compensation: effect.compensation,
      };
    case "call-http":
      return {
        type: effect.type,
        service: effect.service,
        method: effect.method,
        path: effect.path,
        attempt: effect.attempt,
      };
    case "schedule-timer":
      return {
        type: effect.type,
        timerId: effect.timerId,
        fireAt: effect.fireAt,
        event: effect.event.type,
      };
    case "cancel-timer":
      return { type: effect.type, timerId: effect.timerId };
    case "publish-event":
      return { type: effect.type, name: effect.name, step: effect.step };
    case "finish":
      return { type: effect.type, status: effect.status };
  }
}

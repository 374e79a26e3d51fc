import {
  contextFromTraceparent,
  type Database,
  inSpan,
  type Logger,
  SpanAttribute,
  SpanKind,
  withSagaContext,
} from "@sagaworks/platform";
import type { OrchestratorMetrics } from "../metrics.ts";
import type { SagaRuntime } from "../saga-runtime.ts";
import {
  claimHttpCalls,
  HTTP_LEASE_MARGIN_MS,
  type HttpCall,
  type SagaOutboxRow,
} from "../store/outbox.ts";
import { type HttpStepTarget, requestHttpStep } from "./http-step-request.ts";
import type { WakeSignal } from "./wake-signal.ts";

/** Options of {@link HttpInvoker}, complete: the orchestrator resolves the defaults. */
export interface HttpInvokerOptions extends HttpStepTarget {
  db: Database;
  runtime: SagaRuntime;
  logger: Logger;
  /** Signalled when a commit wrote a call (see {@link HttpInvoker.notify}). */
  wake: WakeSignal;
  /** The orchestrator's counters. */
  metrics: OrchestratorMetrics;
  clock: () => Date;
  /**
   * Fallback poll (`httpPollIntervalMs`), for calls this replica was not woken for (another
   * replica's, after a crash or a lease that ran out). Calls this replica's commits write are
   * handed over by {@link HttpInvoker.dispatch}.
   */
  pollIntervalMs: number;
  /** Calls in flight at once (`httpConcurrency`). */
  concurrency: number;
}

/**
 * Carries out HTTP steps. Calls wait in the outbox like messages. A call this process's commit
 * wrote is leased to it already and handed over right after the commit ({@link dispatch}), so
 * it costs no claim; the poll claims (and leases) calls whose lease ran out, e.g. a replica that
 * died mid-call. Each answer is applied to the saga in the transaction that deletes the row, so
 * a response is applied once even if two replicas made the call. 5xx, timeouts and network
 * errors are retriable failures; the definition's outcomes map the other statuses.
 */
export class HttpInvoker {
  private readonly options: HttpInvokerOptions;
  private running = false;
  private readonly wake: WakeSignal;
  private loop: Promise<void> | undefined;
  /** Calls handed over by commits, waiting for a free slot. */
  private readonly queued: SagaOutboxRow[] = [];
  /** Handed-over calls under way (at most `concurrency`), awaited by `stop`. */
  private readonly calling = new Set<Promise<void>>();

  constructor(options: HttpInvokerOptions) {
    this.options = options;
    this.wake = this.options.wake;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    // Queued calls stay leased in the outbox: after the lease another replica (or this one,
    // restarted) makes them.
    this.queued.length = 0;
    this.notify();
    await this.loop;
    await Promise.allSettled([...this.calling]);
  }

  /**
   * Makes calls that a commit of this process just wrote (leased to it by that commit), without
   * claiming them first. Calls beyond `concurrency` wait their turn in memory; if the process
   * dies, their leases run out and the poll of any replica makes them.
   */
  dispatch(rows: readonly SagaOutboxRow[]): void {
    if (!this.running) return;
    this.queued.push(...rows);
    this.pump();
  }

  private pump(): void {
    while (this.running && this.calling.size < this.options.concurrency) {
      const row = this.queued.shift();
      if (!row) return;
      const task = this.call(row)
        .catch((error: unknown) => {
          // The row stays leased; once the lease runs out the poll makes the call again.
          this.options.logger.error({ err: error, outboxId: row.id }, "HTTP step call failed");
        })
        .finally(() => {
          this.calling.delete(task);
          this.pump();
        });
      this.calling.add(task);
    }
  }

  /** Wakes the invoker: a commit wrote a call. */
  notify(): void {
    this.wake.notify();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.claimAndCall();
      } catch (error) {
        this.options.logger.error({ err: error }, "HTTP step invoker failed; retrying");
      }
      if (claimed > 0 || !this.running) continue;
      await this.wake.wait(this.options.pollIntervalMs);
    }
  }

  private async claimAndCall(): Promise<number> {
    const { db, clock, concurrency, metrics } = this.options;
    const claimed = await claimHttpCalls(db.knex, clock(), concurrency, HTTP_LEASE_MARGIN_MS);
    if (claimed.length > 0) metrics.commits++;
    await Promise.all(claimed.map((row) => this.call(row)));
    return claimed.length;
  }

  private call(row: SagaOutboxRow): Promise<void> {
    const call = row.message as HttpCall;
    return withSagaContext({ sagaId: call.sagaId, step: call.step, attempt: call.attempt }, () =>
      inSpan(
        `saga.http ${call.method} ${call.service}`,
        {
          kind: SpanKind.CLIENT,
          parent: contextFromTraceparent(call.traceparent),
          attributes: {
            [SpanAttribute.sagaId]: call.sagaId,
            [SpanAttribute.step]: call.step,
            [SpanAttribute.attempt]: call.attempt,
            "http.request.method": call.method,
          },
        },
        () => this.callInContext(row, call),
      ),
    );
  }

  private async callInContext(row: SagaOutboxRow, call: HttpCall): Promise<void> {
    const event = await requestHttpStep(call, this.options);
    const outcome = await this.options.runtime.apply(call.sagaId, event, {
      dedupeKey: `http:${row.id}`,
      outboxId: row.id,
    });
    this.options.logger.debug({ event: event.type, outcome: outcome.kind }, "HTTP step answered");
  }
}

import {
  activeTraceparent,
  contextFromTraceparent,
  type Database,
  inSpan,
  type Logger,
  SpanAttribute,
  SpanKind,
  withSagaContext,
} from "@sagaworks/platform";
import type { JsonValue } from "@sagaworks/saga-definition";
import type { SagaEvent } from "@sagaworks/saga-engine";
import type { OrchestratorMetrics } from "../metrics.ts";
import type { SagaRuntime } from "../saga-runtime.ts";
import { claimHttpCalls, type HttpCall, type SagaOutboxRow } from "../store/outbox.ts";
import { WakeSignal } from "./wake-signal.ts";

/** Options of {@link HttpInvoker}. */
export interface HttpInvokerOptions {
  db: Database;
  runtime: SagaRuntime;
  logger: Logger;
  /** Base URL per service, e.g. `{ customer: "http://127.0.0.1:3003" }`. */
  serviceUrls: Readonly<Record<string, string>>;
  /** Signalled when a commit wrote a call; defaults to one of its own (see {@link notify}). */
  wake?: WakeSignal | undefined;
  /** The orchestrator's counters; defaults to the runtime's. */
  metrics?: OrchestratorMetrics | undefined;
  /** Defaults to the wall clock. */
  clock?: (() => Date) | undefined;
  /** Fallback poll; defaults to 250 ms. */
  pollIntervalMs?: number | undefined;
  /** Calls in flight at once; defaults to 10. */
  concurrency?: number | undefined;
}

/** {@link HttpInvokerOptions} with every default applied. */
type ResolvedHttpInvokerOptions = Required<{
  [Key in keyof HttpInvokerOptions]: NonNullable<HttpInvokerOptions[Key]>;
}>;

// A claimed call is leased for its timeout plus this margin; if the process dies mid-call the
// lease runs out and another replica makes the call again (same Idempotency-Key header).
const LEASE_MARGIN_MS = 30_000;

/**
 * Carries out HTTP steps. Calls wait in the outbox like messages; a claimed call is leased, made
 * with its timeout, and its answer applied to the saga in the transaction that deletes the row,
 * so a response is applied once even if two replicas made the call. 5xx, timeouts and network
 * errors are retriable failures; the definition's outcomes map the other statuses.
 */
export class HttpInvoker {
  private readonly options: ResolvedHttpInvokerOptions;
  private running = false;
  private readonly wake: WakeSignal;
  private loop: Promise<void> | undefined;

  constructor(options: HttpInvokerOptions) {
    this.options = {
      ...options,
      wake: options.wake ?? new WakeSignal(),
      metrics: options.metrics ?? options.runtime.metrics,
      clock: options.clock ?? (() => new Date()),
      pollIntervalMs: options.pollIntervalMs ?? 250,
      concurrency: options.concurrency ?? 10,
    };
    this.wake = this.options.wake;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loop;
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
    const claimed = await claimHttpCalls(db.knex, clock(), concurrency, LEASE_MARGIN_MS);
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
    const event = await this.request(call);
    const outcome = await this.options.runtime.apply(call.sagaId, event, {
      dedupeKey: `http:${row.id}`,
      outboxId: row.id,
    });
    this.options.logger.debug({ event: event.type, outcome: outcome.kind }, "HTTP step answered");
  }

  private async request(call: HttpCall): Promise<SagaEvent> {
    const base = this.options.serviceUrls[call.service];
    const at = { step: call.step, attempt: call.attempt };
    if (!base) {
      return {
        type: "http-failure",
        ...at,
        code: "SERVICE_URL_MISSING",
        message: `no URL configured for service ${call.service}`,
      };
    }
    const url = new URL(call.path, base);
    if (call.query && typeof call.query === "object" && !Array.isArray(call.query)) {
      for (const [name, value] of Object.entries(call.query)) {
        if (value !== null && value !== undefined) url.searchParams.set(name, String(value));
      }
    }
    try {
      const response = await fetch(url, {
        method: call.method,
        headers: {
          accept: "application/json",
          "idempotency-key": call.idempotencyKey,
          ...traceHeaders(),
          ...(call.body !== null ? { "content-type": "application/json" } : {}),
        },
        body: call.body !== null ? JSON.stringify(call.body) : undefined,
        signal: AbortSignal.timeout(call.timeoutMs),
      });
      const text = await response.text();
      let body: JsonValue = text;
      try {
        body = text === "" ? null : (JSON.parse(text) as JsonValue);
      } catch {
        // Not JSON: kept as text, so the history shows what the service said.
      }
      return { type: "http-response", ...at, status: response.status, body };
    } catch (error) {
      const name = (error as Error).name;
      const code =
        name === "TimeoutError" || name === "AbortError" ? "HTTP_TIMEOUT" : "HTTP_NETWORK_ERROR";
      return {
        type: "http-failure",
        ...at,
        code,
        message: `${call.method} ${url.pathname}: ${(error as Error).message}`,
      };
    }
  }
}

/** The `traceparent` header of the active span (the HTTP step's), when tracing is on. */
function traceHeaders(): Record<string, string> {
  const traceparent = activeTraceparent();
  return traceparent ? { traceparent } : {};
}

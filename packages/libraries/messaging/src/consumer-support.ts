// The consumer's small helpers: the saga context of a raw body (for log lines), bounded queue
// labels, and its metrics.
import {
  gauge,
  histogram,
  type MetricsRegistry,
  type SagaLogContext,
  traceIdOf,
} from "@sagaworks/platform";
import type { CommandEnvelope } from "./envelope.ts";

/** The saga a message belongs to, read cheaply from an envelope body; undefined for others. */
export function sagaOf(body: string | undefined): SagaLogContext | undefined {
  if (!body?.includes('"sagaId"')) return undefined;
  try {
    return sagaOfBody(JSON.parse(body));
  } catch {
    return undefined;
  }
}

/** The saga of an already decoded body (an envelope, or anything with its fields). */
export function sagaOfBody(body: unknown): SagaLogContext | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  // Not validated yet, of any kind: the fields a command has, each possibly absent.
  const parsed = body as Partial<CommandEnvelope>;
  if (typeof parsed.sagaId !== "string") return undefined;
  return {
    sagaId: parsed.sagaId,
    saga: parsed.sagaName,
    step: parsed.step,
    attempt: parsed.attempt,
    traceId: traceIdOf(parsed.trace?.traceparent),
  };
}

/** A queue's name, the last segment of its URL: a bounded label (never a message or saga id). */
export function queueNameOf(queueUrl: string): string {
  return queueUrl.slice(queueUrl.lastIndexOf("/") + 1) || queueUrl;
}

export interface ConsumerInstruments {
  inFlight: { inc(): void; dec(): void };
  received(count: number): void;
}

export function consumerInstruments(registry: MetricsRegistry, queue: string): ConsumerInstruments {
  const inFlight = gauge(registry, {
    name: "sagaworks_consumer_in_flight_messages",
    help: "Messages being handled now by this process's consumer of the queue.",
    labelNames: ["queue"],
  }).labels({ queue });
  const receiveSize = histogram(registry, {
    name: "sagaworks_consumer_receive_messages",
    help: "Messages returned by each ReceiveMessage call (0 to 10), by queue.",
    labelNames: ["queue"],
    buckets: [0, 1, 2, 5, 10],
  }).labels({ queue });
  inFlight.set(0);
  return { inFlight, received: (count) => receiveSize.observe(count) };
}

import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace";
import { startTracing } from "../telemetry/tracing.ts";

/** Tracing of this process into memory, for tests. */
export interface InMemoryTracing {
  /** Spans ended so far. */
  spans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for this process with an in-memory exporter (each span kept when
 * it ends), so a test can run a saga and read its trace. One per test file (the SDK is global).
 */
export function startInMemoryTracing(serviceName = "sagaworks-test"): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({
    serviceName,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  if (!tracing) throw new Error("tracing did not start");
  return { spans: () => exporter.getFinishedSpans(), shutdown: () => tracing.shutdown() };
}

export type { ReadableSpan };

import { createRequire } from "node:module";
import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { SpanProcessor } from "@opentelemetry/sdk-trace";

export { type Context, context, type Span, SpanKind, trace };

/** The tracer every Sagaworks part starts its spans with. A no-op until tracing is started. */
export function tracer() {
  return trace.getTracer("sagaworks");
}

/** Span attribute names, one place: dashboards and trace searches rely on them. */
export const SpanAttribute = {
  sagaId: "saga.id",
  sagaName: "saga.name",
  sagaVersion: "saga.version",
  step: "saga.step",
  attempt: "saga.attempt",
  compensation: "saga.compensation",
  messageName: "messaging.message.name",
} as const;

/** A running tracing SDK. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/** Options of {@link startTracing}. */
export interface StartTracingOptions {
  /** `service.name` of the spans, unless OTEL_SERVICE_NAME says otherwise. */
  serviceName: string;
  /** The environment to read; defaults to `process.env`. */
  env?: Record<string, string | undefined> | undefined;
  /**
   * Span processors to use instead of the OTLP exporter (tests: an in-memory exporter);
   * defaults to none, which means the exporter the `OTEL_*` variables describe.
   */
  spanProcessors?: SpanProcessor[] | undefined;
}

/** {@link StartTracingOptions} with every default applied; `spanProcessors` keeps undefined for "none". */
export interface ResolvedTracingOptions {
  serviceName: string;
  env: Record<string, string | undefined>;
  spanProcessors: SpanProcessor[] | undefined;
  /** The OTLP traces endpoint the environment names, or undefined when it names none. */
  endpoint: string | undefined;
  /** Whether tracing starts: processors were given, or an endpoint is set and the SDK not disabled. */
  enabled: boolean;
}

/** Applies the defaults once and reads what the environment says; an explicit `undefined` means the default. */
export function resolveTracingOptions(options: StartTracingOptions): ResolvedTracingOptions {
  const env = options.env ?? process.env;
  // An empty variable counts as unset, as the OTel SDK treats it.
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  return {
    serviceName: options.serviceName,
    env,
    spanProcessors: options.spanProcessors,
    endpoint,
    enabled:
      options.spanProcessors !== undefined ||
      (endpoint !== undefined && env.OTEL_SDK_DISABLED !== "true"),
  };
}

/**
 * Starts the OpenTelemetry Node SDK when asked: with `spanProcessors` (tests), or when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and
 * `OTEL_SDK_DISABLED` is not `true`. The SDK then follows the standard `OTEL_*` variables
 * (protocol, headers, sampler, resource attributes). Returns undefined otherwise: tracing stays
 * off, every span is a no-op and costs next to nothing. Metrics and logs are not exported over
 * OTLP (Prometheus scrapes `/metrics`; logs go to stdout) unless their `OTEL_*_EXPORTER` says so.
 */
export function startTracing(input: StartTracingOptions): Tracing | undefined {
  const options = resolveTracingOptions(input);
  if (!options.enabled) return undefined;
  const { env } = options;
  // The SDK reads process.env itself; these defaults keep it to traces.
  process.env.OTEL_METRICS_EXPORTER ??= "none";
  process.env.OTEL_LOGS_EXPORTER ??= "none";
  process.env.OTEL_SERVICE_NAME ??= options.serviceName;
  // Loaded only here: the SDK and its exporters are hundreds of modules, a large part of every
  // process start's CPU, and most processes run with tracing off. require, not import(), keeps
  // this function synchronous (it runs before anything makes a span).
  const { startNodeSdk } = createRequire(import.meta.url)(
    "@opentelemetry/sdk-node",
  ) as typeof import("@opentelemetry/sdk-node");
  const sdk = startNodeSdk({
    resourceDetectors: [],
    resourceAttributes: { "service.name": env.OTEL_SERVICE_NAME ?? options.serviceName },
    // Undefined leaves the SDK to build the exporter from the OTEL_* variables.
    spanProcessors: options.spanProcessors,
  });
  return { shutdown: () => sdk.shutdown() };
}

/** The W3C `traceparent` of the active span, or undefined when no span is recording. */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The trace id of the active span, or undefined outside one (or with tracing off). */
export function activeTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The context a W3C `traceparent` (and `tracestate`) describes, as the parent of new spans. */
export function contextFromTraceparent(
  traceparent: string | undefined,
  tracestate?: string,
): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** Options of {@link inSpan}. */
export interface InSpanOptions {
  /** Defaults to none. */
  attributes?: Attributes | undefined;
  /** Defaults to `INTERNAL`, as OpenTelemetry's own default. */
  kind?: SpanKind | undefined;
  /** Parent; defaults to the active context. */
  parent?: Context | undefined;
}

/**
 * Runs `work` inside a new active span named `name`, ending it when `work` settles; a thrown
 * error is recorded on the span and rethrown. With tracing off this is one no-op span.
 */
export function inSpan<T>(
  name: string,
  options: InSpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { attributes: options.attributes ?? {}, kind: options.kind ?? SpanKind.INTERNAL },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

import {
  contextFromTraceparent,
  type InSpanOptions,
  SpanAttribute,
  SpanKind,
} from "@sagaworks/platform";
import type { Envelope } from "./envelope.ts";

/**
 * The span of handling a received envelope: a consumer span, the child of the span that sent
 * it (its trace context), carrying the saga, the step and attempt a command or reply is about,
 * and the message's name; `attributes` adds the receiver's own.
 */
export function receiveSpan(
  envelope: Envelope,
  attributes: Record<string, string> = {},
): InSpanOptions {
  return {
    kind: SpanKind.CONSUMER,
    parent: contextFromTraceparent(envelope.trace.traceparent, envelope.trace.tracestate),
    attributes: {
      [SpanAttribute.sagaId]: envelope.sagaId,
      [SpanAttribute.sagaName]: envelope.sagaName,
      ...(envelope.kind === "event"
        ? {}
        : {
            [SpanAttribute.step]: envelope.step,
            [SpanAttribute.attempt]: envelope.attempt,
            [SpanAttribute.compensation]: envelope.compensation,
          }),
      [SpanAttribute.messageName]: envelope.name,
      ...attributes,
    },
  };
}

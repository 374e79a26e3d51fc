import { inSpan, SpanAttribute, SpanKind } from "@sagaworks/platform";
import type { SagaEvent } from "@sagaworks/saga-engine";
import { type HttpStepRequest, type HttpStepTarget, requestHttpStep } from "./http-step-request.ts";

/**
 * The runtime's inline call (`readInline`): a read-only step's request made at once, in the
 * start's trace, with at most `timeoutMs` to answer; undefined when inline calls are off (0).
 */
export function inlineReader(
  target: HttpStepTarget,
  timeoutMs: number,
): ((call: HttpStepRequest) => Promise<SagaEvent>) | undefined {
  if (timeoutMs <= 0) return undefined;
  return (call) =>
    inSpan(
      `saga.http ${call.method} ${call.service}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [SpanAttribute.step]: call.step,
          [SpanAttribute.attempt]: call.attempt,
          "http.request.method": call.method,
          "saga.http.inline": true,
        },
      },
      () => requestHttpStep({ ...call, timeoutMs: Math.min(call.timeoutMs, timeoutMs) }, target),
    );
}

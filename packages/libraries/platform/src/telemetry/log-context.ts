import { AsyncLocalStorage } from "node:async_hooks";

/** What every log line written while handling one saga carries. */
export interface SagaLogContext {
  sagaId: string;
  /** The saga's definition name. */
  saga?: string | undefined;
  step?: string | undefined;
  attempt?: number | undefined;
  /** The saga's trace id (from its W3C traceparent), for when no span is active. */
  traceId?: string | undefined;
}

const storage = new AsyncLocalStorage<SagaLogContext>();

/**
 * Runs `work` with `context` as the saga being handled: every line any logger writes inside it,
 * awaited calls included, carries these fields (see the logger's mixin). Nested calls add to the
 * outer context; fields left undefined keep the outer value.
 */
export function withSagaContext<T>(context: SagaLogContext, work: () => T): T {
  const outer = storage.getStore();
  const merged: SagaLogContext = { ...outer, sagaId: context.sagaId };
  if (context.saga !== undefined) merged.saga = context.saga;
  else if (outer?.saga !== undefined && outer.sagaId === context.sagaId) merged.saga = outer.saga;
  if (context.step !== undefined) merged.step = context.step;
  if (context.attempt !== undefined) merged.attempt = context.attempt;
  if (context.traceId !== undefined) merged.traceId = context.traceId;
  if (outer?.sagaId === context.sagaId) parents.set(merged, outer);
  return storage.run(merged, work);
}

// Each nested context of the same saga points to the one it was made from, so that what is learnt
// deep inside (the saga's name and trace id) also reaches the lines the caller writes afterwards.
const parents = new WeakMap<SagaLogContext, SagaLogContext>();

/**
 * Adds what became known while handling (the saga's name and trace id, read with its row) to the
 * current context and the enclosing ones of the same saga, for the rest of their calls. No-op
 * outside a saga context.
 */
export function addToSagaContext(fields: Pick<SagaLogContext, "saga" | "traceId">): void {
  for (let store = storage.getStore(); store; store = parents.get(store)) {
    if (fields.saga !== undefined) store.saga = fields.saga;
    if (fields.traceId !== undefined) store.traceId = fields.traceId;
  }
}

/** The saga being handled on this call path, if any. */
export function currentSagaContext(): SagaLogContext | undefined {
  return storage.getStore();
}

/** The trace id inside a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`). */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split("-")[1];
}

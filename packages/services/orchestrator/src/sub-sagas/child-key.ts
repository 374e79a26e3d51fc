// The idempotency key of a child saga: one child per parent saga, sub-saga step and attempt. The
// saga-commands consumer starts children with it; the inspector finds a parent's children by it.

/** The idempotency key of the child a parent's step started in one attempt. */
export function childStartKey(parent: { sagaId: string; step: string; attempt: number }): string {
  return `child:${parent.sagaId}:${parent.step}:${parent.attempt}`;
}

// The idempotency key of a child saga: one child per parent saga, sub-saga step and attempt. The
// saga-commands consumer starts children with it; the inspector finds a parent's children by it.

/** How every child's idempotency key begins (retention tells children apart by it). */
export const CHILD_KEY_PREFIX = "child:";

/** The idempotency key of the child a parent's step started in one attempt. */
export function childStartKey(parent: { sagaId: string; step: string; attempt: number }): string {
  return `${CHILD_KEY_PREFIX}${parent.sagaId}:${parent.step}:${parent.attempt}`;
}

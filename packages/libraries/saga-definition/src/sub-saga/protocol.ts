// The messages between a parent saga and the children it starts. They travel like any command
// and reply: the parent's transition sends a command to the orchestrator's own saga-commands
// queue, the orchestrator starts or compensates the child, and the child's end comes back to
// the parent's reply queue as a reply. So a sub-saga step is matched, deduplicated and timed out
// exactly as a command step is.

/** The pseudo-service of sub-saga steps: the orchestrator, consuming its saga-commands queue. */
export const SUB_SAGA_SERVICE = "sagas";

/** Commands the orchestrator takes on its saga-commands queue. */
export const SubSagaCommand = {
  /** Start the child (idempotent per parent step and attempt), or answer how it ended. */
  start: "StartSaga",
  /** Ask the child to undo itself; answered once it has ended. */
  compensate: "CompensateSaga",
} as const;
export type SubSagaCommand = (typeof SubSagaCommand)[keyof typeof SubSagaCommand];

/** Replies a child's end sends to its parent. */
export const SubSagaReply = {
  /** The child completed; the payload is its declared output. */
  completed: "SagaCompleted",
  /** The child undid what it did (compensated, or never started). */
  compensated: "SagaCompensated",
  /** The child failed with nothing to undo. */
  failed: "SagaFailed",
} as const;
export type SubSagaReply = (typeof SubSagaReply)[keyof typeof SubSagaReply];

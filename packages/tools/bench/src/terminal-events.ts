/** The lifecycle events that end a saga: what the benchmark's clients wait for. */
export const TERMINAL_EVENTS = [
  "saga.completed",
  "saga.compensated",
  "saga.failed",
  "saga.needs-intervention",
] as const;

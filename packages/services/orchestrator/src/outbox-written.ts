import type { SagaOutboxRow } from "./store/outbox.ts";

/** Something that takes the outbox rows a commit just wrote. */
export type OutboxWrittenListener = (rows: readonly SagaOutboxRow[]) => void;

/**
 * Hands the rows each commit wrote to whoever sends them (the relay: messages; the HTTP
 * invoker: calls). It exists before all of them, so the runtime can publish to it and the
 * invoker, which needs the runtime, can subscribe after it is built: no part holds a reference
 * that is filled in later.
 */
export class OutboxWritten {
  private readonly listeners: OutboxWrittenListener[] = [];

  /** Adds a listener; each gets every later commit's rows, in the order they subscribed. */
  subscribe(listener: OutboxWrittenListener): void {
    this.listeners.push(listener);
  }

  /** Passes a commit's rows to every listener (bound, so it can be handed on as a callback). */
  readonly publish = (rows: readonly SagaOutboxRow[]): void => {
    for (const listener of this.listeners) listener(rows);
  };
}

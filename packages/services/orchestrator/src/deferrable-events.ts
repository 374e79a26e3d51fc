import type { OutboxRow } from "@sagaworks/messaging";
import { LifecycleEvent } from "@sagaworks/saga-engine";

/**
 * Lifecycle events nobody waits on to go on: the start of a saga and the events about one step.
 * Their rows ride along with the relay's next send instead of costing a publish of their own;
 * the outcome events (completed, compensated, failed, needs-intervention, ...) go at once.
 */
const DEFERRABLE: ReadonlySet<string> = new Set([
  LifecycleEvent.started,
  LifecycleEvent.stepCompleted,
  LifecycleEvent.stepFailed,
  LifecycleEvent.stepRetrying,
  LifecycleEvent.stepNotTaken,
  LifecycleEvent.stepCompensated,
]);

/** Whether an outbox row is a lifecycle event that may wait for the relay's next send. */
export function isDeferrableEvent(row: OutboxRow): boolean {
  if (row.kind !== "sns") return false;
  const attributes = row.message.attributes ?? {};
  return attributes.kind === "event" && DEFERRABLE.has(attributes.name ?? "");
}

/**
 * Whether an outbox row is a lifecycle event on `topicArn` that none of the names read (see
 * topology's `eventNamesRead`) takes: the relay drops it instead of publishing it to nobody.
 */
export function unreadEvent(
  topicArn: string,
  namesRead: ReadonlySet<string>,
): (row: OutboxRow) => boolean {
  return (row) => {
    if (row.kind !== "sns" || row.destination !== topicArn) return false;
    const attributes = row.message.attributes ?? {};
    return attributes.kind === "event" && !namesRead.has(attributes.name ?? "");
  };
}

// The flat layout envelopes had before the union layout: one object for every kind, with step, attempt,
// compensation and replyTo on all of them. Messages written that way may still sit in queues and
// DLQs when the union layout deploys (a rolling deploy, a DLQ replay weeks later), so the decoder
// upgrades them here, once, before validation. Nothing writes this layout any more.
//
// Remove in 0.3.0: 0.1.x is the last release that wrote it, and by then no queue or DLQ can hold
// a message of 0.1.x (SQS keeps a message 14 days at the most).
//
// What differs, and how each difference is upgraded:
// - A compensation command had no `actionKey`: it is derived from its idempotency key by the key
//   convention the orchestrator followed (saga-engine's keys.ts: `<saga>:<step>` for an action,
//   `<saga>:<step>:compensation` for its compensation). A key outside that convention is left
//   alone, and validation then names the missing `actionKey`. The signature still verifies over
//   what was signed: see signature.ts.
// - Saga-level events carried `step: "(saga)"`: the placeholder is dropped (no step name can be
//   spelt so). Their `attempt` and `compensation`, like `replyTo` and `idempotencyKey` on replies
//   and events, are not part of the union's layouts and are left out by validation.

/** The suffix of a compensation's idempotency key in the orchestrator's key convention. */
const COMPENSATION_KEY_SUFFIX = ":compensation";

/** The step the flat layout wrote on events about the whole saga. */
const SAGA_LEVEL_STEP = "(saga)";

/**
 * Compensation commands the decoder upgraded from the flat layout: their `actionKey` was derived
 * on arrival, so their signature covers the envelope without it. Kept out of the envelope's
 * fields, so that a sender cannot claim the exemption: only the decoder adds to it, and a copy of
 * the envelope (which lost the mark) fails verification rather than passing. Here, with the
 * layout, so that the codec and the signature both depend on this module and not on each other.
 */
const upgradedFromFlatLayout = new WeakSet<object>();

/** Marks a command the decoder upgraded from the flat layout (the signature then omits its actionKey). */
export function markUpgradedFromFlatLayout(command: object): void {
  upgradedFromFlatLayout.add(command);
}

/** Whether the decoder upgraded this very object from the flat layout (a copy never was). */
export function wasUpgradedFromFlatLayout(command: object): boolean {
  return upgradedFromFlatLayout.has(command);
}

/** A body in the union's layout, and whether a compensation's `actionKey` was derived for it. */
export interface Upgraded {
  value: unknown;
  derivedActionKey: boolean;
}

/**
 * Upgrades a parsed body from the flat layout; any other value is returned as it is, unchecked
 * (validation follows). Cheap for the union's own layout: a few property reads.
 */
export function upgradeFlatLayout(value: unknown): Upgraded {
  if (typeof value !== "object" || value === null) return { value, derivedActionKey: false };
  const body = value as Record<string, unknown>;
  if (
    body.kind === "command" &&
    body.compensation === true &&
    body.actionKey === undefined &&
    typeof body.idempotencyKey === "string" &&
    body.idempotencyKey.length > COMPENSATION_KEY_SUFFIX.length &&
    body.idempotencyKey.endsWith(COMPENSATION_KEY_SUFFIX)
  ) {
    const actionKey = body.idempotencyKey.slice(0, -COMPENSATION_KEY_SUFFIX.length);
    return { value: { ...body, actionKey }, derivedActionKey: true };
  }
  if (body.kind === "event" && body.step === SAGA_LEVEL_STEP) {
    const { step: _placeholder, ...event } = body;
    return { value: event, derivedActionKey: false };
  }
  return { value, derivedActionKey: false };
}

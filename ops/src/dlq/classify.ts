// Joins a dead-lettered message to its saga's state and says whether replaying it is useful.
// Pure: the saga is looked up by the caller.
import { decodeEnvelope, type Envelope } from "@sagaworks/messaging";
import type { SagaView } from "../sagas/orchestrator-client.ts";
import type { DlqMessage } from "./peek.ts";

/** What replaying a message would do. */
export const Verdict = {
  /** The saga still waits for exactly this message's step: replay is useful. */
  waiting: "waiting",
  /** The saga moved on or finished: a replay would be ignored at best. */
  stale: "stale",
  /** No saga with this id: nothing would take the message. */
  unknownSaga: "unknown-saga",
  /** Not an envelope: replaying it fails again the same way. */
  poison: "poison",
  /** A lifecycle event: not tied to a step, safe to redeliver to its subscriber. */
  event: "event",
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** A message with its verdict and the reason for it. */
export interface Classified {
  message: DlqMessage;
  envelope: Envelope | null;
  verdict: Verdict;
  /** Why this verdict, in words an operator acts on. */
  explanation: string;
  /** The saga's status and state when it was looked up. */
  saga: { status: string; state: string; updatedAt: string } | null;
}

const TERMINAL = new Set(["completed", "compensated", "failed", "resolved"]);

/** Decodes the body; null when it is not an envelope. */
export function envelopeOf(message: DlqMessage): {
  envelope: Envelope | null;
  error: string | null;
} {
  try {
    return { envelope: decodeEnvelope(message.body), error: null };
  } catch (error) {
    return { envelope: null, error: (error as Error).message };
  }
}

/**
 * The verdict for one message given its saga (`undefined` when not looked up: poison and
 * events need no saga; `null` when the orchestrator does not know it).
 */
export function classify(message: DlqMessage, saga: SagaView | null | undefined): Classified {
  const { envelope, error } = envelopeOf(message);
  if (!envelope) {
    return {
      message,
      envelope,
      verdict: Verdict.poison,
      explanation: error ?? "not an envelope",
      saga: null,
    };
  }
  if (envelope.kind === "event") {
    return {
      message,
      envelope,
      verdict: Verdict.event,
      explanation: "lifecycle event",
      saga: null,
    };
  }
  if (!saga) {
    return {
      message,
      envelope,
      verdict: Verdict.unknownSaga,
      explanation: `the orchestrator has no saga ${envelope.sagaId}`,
      saga: null,
    };
  }
  const state = { status: saga.status, state: saga.state, updatedAt: saga.updatedAt };
  if (TERMINAL.has(saga.status)) {
    return {
      message,
      envelope,
      verdict: Verdict.stale,
      explanation: `saga already ${saga.status}`,
      saga: state,
    };
  }
  const pending = saga.pending;
  const what = `${envelope.step}${envelope.compensation ? " (compensation)" : ""} attempt ${envelope.attempt}`;
  if (
    pending &&
    pending.waitingFor === "reply" &&
    pending.step === envelope.step &&
    pending.compensation === envelope.compensation &&
    pending.attempt === envelope.attempt
  ) {
    if (saga.status === "needs-intervention") {
      return {
        message,
        envelope,
        verdict: Verdict.stale,
        explanation: `saga needs intervention at ${what}: use ops sagas retry, not a replay`,
        saga: state,
      };
    }
    return {
      message,
      envelope,
      verdict: Verdict.waiting,
      explanation: `saga waits for ${what}`,
      saga: state,
    };
  }
  const now = pending
    ? `${pending.step}${pending.compensation ? " (compensation)" : ""} attempt ${pending.attempt} (${pending.waitingFor})`
    : saga.state;
  return {
    message,
    envelope,
    verdict: Verdict.stale,
    explanation: `saga moved on from ${what}; it is at ${now}`,
    saga: state,
  };
}

/** The key messages are grouped by: verdict, kind and name, saga name and step, reason. */
export function groupKey(item: Classified): string {
  const e = item.envelope;
  const step = e?.step ? ` step ${e.step}` : ""; // saga-level events concern no step
  const what = e ? `${e.kind} ${e.name} · ${e.sagaName}${step}` : "not an envelope";
  return `${item.verdict} · ${what} · ${item.message.reason ?? "no reason recorded"}`;
}

/** A group of messages with the same key. */
export interface Group {
  key: string;
  verdict: Verdict;
  count: number;
  sample: Classified;
  items: Classified[];
}

/** Groups classified messages, biggest group first. */
export function groupMessages(items: readonly Classified[]): Group[] {
  const groups = new Map<string, Group>();
  for (const item of items) {
    const key = groupKey(item);
    const group = groups.get(key);
    if (group) {
      group.count++;
      group.items.push(item);
    } else groups.set(key, { key, verdict: item.verdict, count: 1, sample: item, items: [item] });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

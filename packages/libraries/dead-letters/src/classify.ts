// Joins a dead-lettered message to its saga's state and says whether replaying it is useful.
// Pure: the caller looks the saga up (ops through the API, the orchestrator in its store), and
// passes the clock.
import { signedMessageStaleness } from "@sagaworks/messaging";
import { type DlqMessage, type EnvelopeFacts, envelopeFacts } from "./message.ts";

/** What replaying a message would do. */
export const Verdict = {
  /** The saga still waits for exactly this message's step: replay is useful. */
  waiting: "waiting",
  /** The saga moved on or finished: a replay would be ignored at best. */
  stale: "stale",
  /** No saga with this id: nothing would take the message. */
  unknownSaga: "unknown-saga",
  /**
   * The saga finished and was pruned after its retention period (its record is in the
   * archive): nothing would take the message, and nothing waits for it.
   */
  archived: "archived",
  /**
   * Not an envelope, or a command or reply too old (or dated too far ahead) for its receiver to
   * accept: replaying it fails again the same way.
   */
  poison: "poison",
  /** A lifecycle event: not tied to a step, safe to redeliver to its subscriber. */
  event: "event",
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** What a verdict needs to know of a saga; ops' view of the API and the store's row both fit. */
export interface SagaState {
  status: string;
  state: string;
  /** ISO time of its last change: a replayed message has been applied once this moves. */
  updatedAt: string;
  /** What it waits on, by step; empty when terminal. */
  pending: Record<string, PendingSummary>;
}

/**
 * A saga that finished and was pruned after its retention period, as the archive index (the
 * orchestrator's saga_archive_batches, or its 410 SAGA_ARCHIVED answer) records it.
 */
export interface PrunedSaga {
  pruned: true;
  /** ISO time it was pruned. */
  prunedAt: string;
  /** The archive object holding its record; null when it was pruned without an archive. */
  location: string | null;
}

/** What a saga waits on for one step, as far as a verdict needs it. */
export interface PendingSummary {
  step: string;
  compensation: boolean;
  attempt: number;
  waitingFor: string;
}

/** A message with its verdict and the reason for it. */
export interface Classified {
  message: DlqMessage;
  envelope: EnvelopeFacts | null;
  verdict: Verdict;
  /** Why this verdict, in words an operator acts on. */
  explanation: string;
  /** The saga's status and state when it was looked up. */
  saga: { status: string; state: string; updatedAt: string } | null;
  /** When the saga was pruned and where its record went, for the archived verdict. */
  pruned?: PrunedSaga;
}

const TERMINAL = new Set(["completed", "compensated", "failed", "resolved"]);

/** The saga a message belongs to, when it needs looking up (not for poison or events). */
export function sagaIdToLookUp(message: DlqMessage): string | undefined {
  const { facts } = envelopeFacts(message.body);
  return facts && facts.kind !== "event" ? facts.sagaId : undefined;
}

/**
 * The verdict for one message given its saga (`undefined` when not looked up: poison and
 * events need no saga; a {@link PrunedSaga} when it finished and was pruned; `null` when the
 * orchestrator does not know it at all), at `now`.
 */
export function classify(
  message: DlqMessage,
  saga: SagaState | PrunedSaga | null | undefined,
  now: Date,
): Classified {
  const { facts: envelope, error } = envelopeFacts(message.body);
  const result = (verdict: Verdict, explanation: string, state: Classified["saga"] = null) => ({
    message,
    envelope,
    verdict,
    explanation,
    saga: state,
  });
  if (!envelope) return result(Verdict.poison, error ?? "not an envelope");
  if (envelope.kind === "event") return result(Verdict.event, "lifecycle event");
  // The receiver refuses a signed message this old (the participant, or the orchestrator for a
  // reply), with this reason: a replay would only dead-letter it again.
  const stale = signedMessageStaleness(envelope.sentAt, now);
  if (stale) return result(Verdict.poison, `${envelope.name} refused: ${stale}`);
  if (!saga) {
    return result(Verdict.unknownSaga, `the orchestrator has no saga ${envelope.sagaId}`);
  }
  if ("pruned" in saga) {
    const where = saga.location ? `its record is archived in ${saga.location}` : "not archived";
    return {
      ...result(
        Verdict.archived,
        `saga finished and was pruned on ${saga.prunedAt} after its retention period (${where}): nothing waits for this message; delete it`,
      ),
      pruned: saga,
    };
  }
  const state = { status: saga.status, state: saga.state, updatedAt: saga.updatedAt };
  if (TERMINAL.has(saga.status)) return result(Verdict.stale, `saga already ${saga.status}`, state);
  const pending =
    envelope.step !== undefined && Object.hasOwn(saga.pending, envelope.step)
      ? saga.pending[envelope.step]
      : undefined;
  const what = `${envelope.step}${envelope.compensation ? " (compensation)" : ""} attempt ${envelope.attempt}`;
  if (
    pending &&
    pending.waitingFor === "reply" &&
    pending.step === envelope.step &&
    pending.compensation === envelope.compensation &&
    pending.attempt === envelope.attempt
  ) {
    if (saga.status === "needs-intervention") {
      return result(
        Verdict.stale,
        `saga needs intervention at ${what}: use ops sagas retry, not a replay`,
        state,
      );
    }
    return result(Verdict.waiting, `saga waits for ${what}`, state);
  }
  if (
    pending &&
    pending.waitingFor === "retry-timer" &&
    pending.step === envelope.step &&
    pending.compensation === envelope.compensation &&
    pending.attempt === envelope.attempt
  ) {
    // Same step and attempt, but that attempt already failed: the saga waits for its retry.
    return result(
      Verdict.stale,
      `${what} already failed; the saga waits for its retry timer and sends attempt ${pending.attempt + 1} itself`,
      state,
    );
  }
  const waits = Object.values(saga.pending).map(
    (work) =>
      `${work.step}${work.compensation ? " (compensation)" : ""} attempt ${work.attempt}, ${work.waitingFor === "reply" ? "waiting for its reply" : "waiting for its retry timer"}`,
  );
  const at = waits.length > 0 ? waits.join(", ") : saga.state;
  return result(Verdict.stale, `saga moved on from ${what}; it is at ${at}`, state);
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

/**
 * The order groups are listed in: what a replay would help first (the saga waits for it), then
 * what needs a look, then what only needs deleting.
 */
const VERDICT_RANK: Record<Verdict, number> = {
  waiting: 0,
  event: 1,
  "unknown-saga": 2,
  stale: 3,
  archived: 4,
  poison: 5,
};

/** Groups classified messages: actionable verdicts first, then the biggest group first. */
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
  return [...groups.values()].sort(
    (a, b) =>
      VERDICT_RANK[a.verdict] - VERDICT_RANK[b.verdict] ||
      b.count - a.count ||
      a.key.localeCompare(b.key),
  );
}
